/**
 * The firewall modules, for the `firewall` kind and the runtime API (`Firewall.nftables.render`) to
 * import from one place once the kind contract (issue 9) settles. Nothing here registers a kind.
 */
export { PolicyBuilder, mergePolicies, parseRule, parseRaw, RuleOptionsSchema, RuleInputSchema } from "./policy.ts";
export type { Policy, Rule, MatchRule, RawRule, RuleOptions, RuleContext, PortInput, PortRange, Source, Verdict } from "./policy.ts";
export * as nftables from "./nftables.ts";
export * as revert from "./revert.ts";
export { validate, checkArgv, annotate, type ValidateResult, type ValidateOptions } from "./validate.ts";
