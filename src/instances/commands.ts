/**
 * The backend as argv data, for the `instance` kind: its probe (the one state read) and its ops run
 * through a Runner like every other kind's, on the controller. A backend is a `BackendCommands`
 * value; `commandsFor` picks it by the declaration's `backend.type`. A second backend is one more
 * entry in BACKENDS (and one DSL function like `incus()`).
 *
 * Nothing here executes anything: the argv are run by the applier (ops) or the planner (probe).
 */
import type { ConfigChange, Forward, InstanceSpec, InstanceState, Lifecycle } from "./backend.ts";
import type { ForwardAction } from "./diff.ts";
import * as incus from "./incus-argv.ts";
import { parseReadOutput } from "./incus-state.ts";

/** The backend as declared (`incus({ sudo: true, project: "hostkit" })`): plain data in the resource. */
export interface BackendRef {
  type: string;
  sudo?: boolean;
  project?: string;
  profiles?: string[];
  bin?: string;
}

export interface BackendCommands {
  /** Shown in plans: `incus (sudo, project hostkit)`. */
  describe(b: BackendRef): string;
  read(b: BackendRef, name: string): string[];
  /** The read's stdout → the state, undefined when absent; a backend error throws with its message. */
  parseRead(stdout: string, code: number, stderr: string): InstanceState | undefined;
  create(b: BackendRef, spec: InstanceSpec): string[];
  start(b: BackendRef, name: string): string[];
  stop(b: BackendRef, name: string): string[];
  delete(b: BackendRef, name: string): string[];
  configSet(b: BackendRef, name: string, kv: Record<string, string>): string[];
  /** Set/unset HostKit's config keys and record which keys it owns (one or a few commands). */
  config(b: BackendRef, name: string, change: ConfigChange): string[][];
  lifecycle(b: BackendRef, name: string, l: Lifecycle): string[];
  forward(b: BackendRef, name: string, a: ForwardAction): string[];
  /** argv run inside the guest through the backend's own channel (never over the network). */
  exec(b: BackendRef, name: string, argv: readonly string[]): string[];
  /** The config key recording which public key was seeded (so one state read tells). */
  seedKey: string;
  /** The config key recording whose password was set, from which secret (never the value). */
  seedPasswordKey: string;
}

export class BackendReadError extends Error {
  override readonly name = "BackendReadError";
}

function incusOpts(b: BackendRef): incus.IncusOptions {
  return { ...(b.sudo ? { sudo: true } : {}), ...(b.project ? { project: b.project } : {}), ...(b.profiles ? { profiles: b.profiles } : {}), ...(b.bin ? { bin: b.bin } : {}) };
}

const INCUS: BackendCommands = {
  describe: (b) => `incus (${[...(b.sudo ? ["sudo"] : []), `project ${b.project ?? "default"}`].join(", ")})`,
  read: (b, name) => incus.readArgv(incusOpts(b), name),
  parseRead(stdout, code, stderr) {
    if (code !== 0) {
      const why = code === 127 ? " (is Incus installed and on PATH?)" : /password is required|terminal is required/.test(stderr) ? " (sudo -n needs passwordless sudo for incus)" : "";
      throw new BackendReadError(`incus query failed (exit ${code}): ${(stderr.trim() || stdout.trim()).replace(/^Error:\s*/, "").split("\n")[0]}${why}`);
    }
    const r = parseReadOutput(stdout);
    if ("error" in r) {
      const hint = /Project not found/.test(r.error) ? " — create the project with: incus project create NAME -c features.images=false -c features.profiles=false" : "";
      throw new BackendReadError(`incus: ${r.error}${hint}`);
    }
    return r.found ? r.state : undefined;
  },
  create: (b, spec) => incus.createArgv(incusOpts(b), spec),
  start: (b, name) => incus.startArgv(incusOpts(b), name),
  stop: (b, name) => incus.stopArgv(incusOpts(b), name),
  delete: (b, name) => incus.deleteArgv(incusOpts(b), name),
  configSet: (b, name, kv) => incus.configSetArgv(incusOpts(b), name, kv),
  config: (b, name, ch) => [
    // the ownership record goes with the values in one call, so they cannot disagree
    incus.configSetArgv(incusOpts(b), name, { ...ch.set, [incus.KEY_KEYS]: incus.managedKeysValue(ch.managedKeys) }),
    ...ch.unset.map((k) => incus.configUnsetArgv(incusOpts(b), name, k)),
  ],
  lifecycle: (b, name, l) => incus.lifecycleArgv(incusOpts(b), name, l),
  forward(b, name, a) {
    const o = incusOpts(b);
    if (a.op === "forward-remove") return incus.deviceRemoveArgv(o, name, a.name);
    return a.op === "forward-add" ? incus.deviceAddArgv(o, name, a.name, a.forward) : incus.deviceSetArgv(o, name, a.name, a.forward);
  },
  exec: (b, name, argv) => incus.execArgv(incusOpts(b), name, argv),
  seedKey: incus.KEY_SEED,
  seedPasswordKey: incus.KEY_SEED_PASSWORD,
};

/** Every backend HostKit knows, by `backend.type`. */
export const BACKENDS: Readonly<Record<string, BackendCommands>> = { incus: INCUS };

export function commandsFor(b: BackendRef): BackendCommands {
  const c = BACKENDS[b.type];
  if (!c) throw new BackendReadError(`unknown instance backend "${b.type}" (known: ${Object.keys(BACKENDS).join(", ")})`);
  return c;
}

export type { Forward };
