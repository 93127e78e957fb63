/**
 * Incus command lines as data (reference: integrations.md §3). Every function returns the full argv
 * that runs, `sudo -n` included when the backend is declared with `sudo: true`, so tests can assert
 * exactly what would execute. Global flags (`--project`) come right after the program, before the
 * subcommand, where they cannot be mistaken for an `exec`'d command's arguments.
 *
 * The project is always explicit (default "default"): a plan must not depend on which project the
 * operator's client happens to have switched to with `incus project switch`.
 */
import type { Forward, InstanceSpec, Lifecycle, PushFileOptions } from "./backend.ts";

export interface IncusOptions {
  /** Run incus through `sudo -n` (non-interactive: fails instead of asking for a password). */
  sudo?: boolean;
  /** Incus project (default "default"). */
  project?: string;
  /** Profiles for new instances (default: Incus' own default, i.e. the `default` profile). `[]` = `--no-profiles`. */
  profiles?: string[];
  /** The incus program (default "incus" from PATH). */
  bin?: string;
  /** Seconds a clean `incus stop` may take before HostKit forces it (default 30). */
  stopTimeoutSeconds?: number;
}

/** Config keys in which HostKit records what it owns on an instance it created. */
export const KEY_MANAGED = "user.hostkit.managed";
export const KEY_IMAGE = "user.hostkit.image";
export const KEY_KEYS = "user.hostkit.keys";
/** A digest of the public key HostKit seeded into the guest (the `instance` kind reads it with the state). */
export const KEY_SEED = "user.hostkit.seed";
/** Which user's password HostKit set, and from which secret (`root:env:NAME`): never the value or a digest of it. */
export const KEY_SEED_PASSWORD = "user.hostkit.seed-password";
/** Proxy devices HostKit owns are named `hk-<expose name>`. */
export const DEVICE_PREFIX = "hk-";

export function projectOf(o: IncusOptions): string {
  return o.project ?? "default";
}

/** `[sudo -n] incus --project P ARGS…` */
export function incusArgv(o: IncusOptions, args: readonly string[]): string[] {
  return [...(o.sudo ? ["sudo", "-n"] : []), o.bin ?? "incus", "--project", projectOf(o), ...args];
}

/** One call for the whole instance: `--raw` answers rc 0 with `error_code: 404` when it does not exist. */
export function readArgv(o: IncusOptions, name: string): string[] {
  const q = new URLSearchParams({ project: projectOf(o), recursion: "1" });
  return [...(o.sudo ? ["sudo", "-n"] : []), o.bin ?? "incus", "query", "--raw", `/1.0/instances/${encodeURIComponent(name)}?${q}`];
}

/** The config HostKit writes at create: the user's keys plus its ownership markers. */
export function createConfig(spec: InstanceSpec): Record<string, string> {
  return { ...spec.config, [KEY_MANAGED]: "true", [KEY_IMAGE]: spec.image, [KEY_KEYS]: managedKeysValue(Object.keys(spec.config)) };
}

export function managedKeysValue(keys: readonly string[]): string {
  return [...keys].sort().join(",");
}

/** `incus create IMAGE NAME [--vm] [--ephemeral] [-p PROFILE…|--no-profiles] -c k=v…` (created stopped). */
export function createArgv(o: IncusOptions, spec: InstanceSpec): string[] {
  const args = ["create", spec.image, spec.name];
  if (spec.kind === "vm") args.push("--vm");
  if (spec.lifecycle === "ephemeral") args.push("--ephemeral");
  if (o.profiles) {
    if (o.profiles.length === 0) args.push("--no-profiles");
    for (const p of o.profiles) args.push("-p", p);
  }
  for (const [k, v] of Object.entries(createConfig(spec)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) args.push("-c", `${k}=${v}`);
  return incusArgv(o, args);
}

export function startArgv(o: IncusOptions, name: string): string[] {
  return incusArgv(o, ["start", name]);
}

export function stopArgv(o: IncusOptions, name: string, force = false): string[] {
  return incusArgv(o, ["stop", name, ...(force ? ["--force"] : ["--timeout", String(o.stopTimeoutSeconds ?? 30)])]);
}

export function deleteArgv(o: IncusOptions, name: string): string[] {
  return incusArgv(o, ["delete", "--force", name]);
}

/** `incus config set NAME k=v…` — one call for all keys (idempotent). */
export function configSetArgv(o: IncusOptions, name: string, kv: Record<string, string>): string[] {
  return incusArgv(o, ["config", "set", name, ...Object.entries(kv).map(([k, v]) => `${k}=${v}`)]);
}

/** `incus config unset NAME KEY` — the CLI takes one key per call. */
export function configUnsetArgv(o: IncusOptions, name: string, key: string): string[] {
  return incusArgv(o, ["config", "unset", name, key]);
}

export function lifecycleArgv(o: IncusOptions, name: string, lifecycle: Lifecycle): string[] {
  return incusArgv(o, ["config", "set", name, `ephemeral=${lifecycle === "ephemeral"}`, "--property"]);
}

export function deviceName(exposeName: string): string {
  return DEVICE_PREFIX + exposeName;
}

/** `tcp:127.0.0.1:2222`; an IPv6 address in brackets: `tcp:[::1]:2222`. */
export function hostAddress(addr: string, port: number): string {
  return `tcp:${addr.includes(":") ? `[${addr}]` : addr}:${port}`;
}

/** The proxy device keys for one forward: listen on the host, connect to the guest's loopback. */
export function proxyKeys(f: Forward): string[] {
  return [`listen=${hostAddress(f.listen, f.host)}`, `connect=${hostAddress("127.0.0.1", f.guest)}`];
}

export function deviceAddArgv(o: IncusOptions, name: string, exposeName: string, f: Forward): string[] {
  return incusArgv(o, ["config", "device", "add", name, deviceName(exposeName), "proxy", ...proxyKeys(f)]);
}

/** Update in place (the device keeps its name; only this forward's listener is replaced). */
export function deviceSetArgv(o: IncusOptions, name: string, exposeName: string, f: Forward): string[] {
  return incusArgv(o, ["config", "device", "set", name, deviceName(exposeName), ...proxyKeys(f)]);
}

export function deviceRemoveArgv(o: IncusOptions, name: string, exposeName: string): string[] {
  return incusArgv(o, ["config", "device", "remove", name, deviceName(exposeName)]);
}

/** `incus file push - NAME/PATH --mode 0600 --uid U --gid G`: the bytes travel on stdin. */
export function pushFileArgv(o: IncusOptions, name: string, path: string, opts: PushFileOptions): string[] {
  const mode = opts.mode.toString(8).padStart(4, "0");
  return incusArgv(o, ["file", "push", "-", `${name}${path}`, "--mode", mode, "--uid", String(opts.uid), "--gid", String(opts.gid)]);
}

/** `incus exec NAME -T -- ARGV…` (-T: never a pseudo-terminal, so output is exactly the command's). */
export function execArgv(o: IncusOptions, name: string, argv: readonly string[]): string[] {
  return incusArgv(o, ["exec", name, "-T", "--", ...argv]);
}
