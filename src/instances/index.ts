/**
 * The instance modules (issue 15), for the `instance` kind to import from one place once the kind
 * contract (issue 9) settles. Nothing here registers a kind or a DSL method.
 *
 *   backend.ts      spec/state model and the InstanceBackend interface (no Incus in it)
 *   incus-argv.ts   Incus command lines as data; incus-state.ts parses `incus query --raw`
 *   incus.ts        incusBackend(opts, runner?): InstanceBackend
 *   diff.ts         diffInstance(spec, state) → actions with drift reasons, notes
 *   validate.ts     validateSpecs(specs) → diagnostics (names, ports, host-port clashes, config keys)
 *   apply.ts        applyInstance(backend, spec, state, actions)
 *   seed.ts         seedAuthorizedKey / seedPassword through the backend
 *   wait.ts         waitForSsh: bounded TCP connect + SSH banner read
 */
export * from "./backend.ts";
export { incusBackend, describeIncus, type IncusOptions } from "./incus.ts";
export * as incusArgv from "./incus-argv.ts";
export { parseReadOutput, parseInstance, IncusParseError, type ReadOutcome } from "./incus-state.ts";
export { diffInstance, forwardActions, configChange, describeForward, type InstanceAction, type ForwardAction, type InstanceDiff } from "./diff.ts";
export { validateSpecs, suggestName, INSTANCE_NAME } from "./validate.ts";
export { applyInstance, type ApplyProgress, type ApplyResult } from "./apply.ts";
export { seedAuthorizedKey, seedPassword, lookupAccount, publicKeyLine, type SeedResult, type Account } from "./seed.ts";
export { waitForSsh, probeSshBanner, SshWaitError, type WaitSshOptions, type WaitSshResult, type WaitProgress, type ProbeResult } from "./wait.ts";
