/**
 * The `firewall` container, at project and host scope:
 *   p.firewall((f) => { f.allow({ tcp: 22, from: "any" }); f.deny("all"); })
 *   p.host("prod", { at }, (h) => h.firewall((f) => f.allow({ tcp: 9100, from: [10, 44, 0, 0, 24] })))
 * Each call is checked at once (ports, addresses, names: src/firewall/policy.ts) with its file:line;
 * compile merges host policy over the project's (src/firewall/compile.ts).
 */
import { HostKitError } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";
import { PolicyBuilder, type RuleOptions } from "../firewall/policy.ts";
import type { FirewallDecl } from "./decl.ts";
import { callerLocation } from "./location.ts";
import { makeScope } from "./scope.ts";
import { runCallback } from "./collect.ts";

export interface FirewallScope {
  /** Accept matching traffic; `allow("all")` makes accept the default. @example f.allow({ tcp: [80, 443], from: "any" }) */
  allow(rule: "all" | RuleOptions): void;
  /** Drop matching traffic; `deny("all")` makes drop the default. @example f.deny("all") */
  deny(rule: "all" | RuleOptions): void;
  /** One nft rule statement, placed as written (checked by `nft -c` at plan time). @example f.raw("ip saddr 192.0.2.7 counter drop") */
  raw(rule: string): void;
}

export type { RuleOptions };

/** Run a firewall callback for one scope; `label` names the scope (`project "x"`, `host "prod"`). */
export function declareFirewall(label: string, existing: FirewallDecl | undefined, cb: (f: FirewallScope) => void, source: SourceLoc): FirewallDecl {
  const subject = `${label} › firewall`;
  if (existing) throw new HostKitError({ subject, source, message: `declared twice (first at ${existing.source.file}:${existing.source.line}); put every rule of this scope in one firewall(…)` });
  if (typeof cb !== "function") throw new HostKitError({ subject, source, message: "expects a callback: firewall((f) => { f.allow({ tcp: 22, from: \"any\" }); f.deny(\"all\") })" });
  const builder = new PolicyBuilder(subject);
  let open = true;
  const at = () => locationOr(source);
  const methods: FirewallScope = {
    allow: (rule) => void builder.allow(rule, at()),
    deny: (rule) => void builder.deny(rule, at()),
    raw: (rule) => void builder.raw(rule, at()),
  };
  runCallback(cb, makeScope(subject, methods, () => open), subject, source);
  open = false;
  return { source, policy: builder.policy() };
}

/**
 * The caller's file:line, or `fallback` (the enclosing declaration) when the stack has no user frame:
 * a one-line arrow `(f) => f.allow(…)` is a tail call, and JavaScriptCore drops its frame.
 */
export function locationOr(fallback: SourceLoc): SourceLoc {
  const l = callerLocation();
  return l.line > 0 ? l : fallback;
}
