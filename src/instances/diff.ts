/**
 * Spec vs state → the actions that make the instance match, each with its drift reason as a plain
 * string. Pure: no backend, no I/O. What HostKit compares, and what it leaves alone:
 *
 * - existence: absent → create (from the image; the image is used only then), add every forward,
 *   start when declared running;
 * - image and kind: fixed at create; a difference is a note (delete the instance to rebuild), not an
 *   action, because no in-place change can fix it;
 * - lifecycle: ephemeral/persistent is an instance property, changed in place;
 * - config: only keys HostKit set (the declared ones, and the ones it set before: `managedKeys`);
 *   a key someone else set is not touched, a key dropped from the declaration is unset;
 * - forwards: one action per exposed port that differs, so changing one port changes one device;
 * - power: running/stopped as declared; frozen or error states are reported, not forced.
 */
import type { ConfigChange, Forward, ForwardState, InstanceSpec, InstanceState, Lifecycle } from "./backend.ts";

export type InstanceAction =
  | { op: "create"; reason: string }
  | { op: "config"; change: ConfigChange; reason: string }
  | { op: "lifecycle"; lifecycle: Lifecycle; reason: string }
  | ForwardAction
  | { op: "start"; reason: string }
  | { op: "stop"; reason: string };

export type ForwardAction =
  | { op: "forward-add"; name: string; forward: Forward; reason: string }
  | { op: "forward-update"; name: string; forward: Forward; reason: string }
  | { op: "forward-remove"; name: string; reason: string };

export interface InstanceDiff {
  /** In the order to apply them. Empty: nothing to do. */
  actions: InstanceAction[];
  /** Drift no action can fix in place (image, kind, a frozen instance), for the plan to show. */
  notes: string[];
}

export function diffInstance(spec: InstanceSpec, state: InstanceState | undefined): InstanceDiff {
  if (!state) {
    const actions: InstanceAction[] = [
      { op: "create", reason: `does not exist: create ${describeKind(spec)} from image "${spec.image}"` },
      ...forwardActions(spec.expose, {}),
    ];
    if (spec.state === "running") actions.push({ op: "start", reason: "new instance: start it" });
    return { actions, notes: [] };
  }
  const actions: InstanceAction[] = [];
  const notes: string[] = [];
  if (!state.managed) notes.push(`was not created by HostKit: only the declared config keys, exposed ports and running state are managed`);
  if (state.kind !== spec.kind) notes.push(`kind: is ${state.kind}, declared ${spec.kind}; the kind is fixed at create (delete the instance to recreate it)`);
  if (state.image !== undefined && state.image !== spec.image)
    notes.push(`image: created from "${state.image}", declared "${spec.image}"; the image is used only at create (delete the instance to recreate it)`);
  const change = configChange(spec.config, state);
  if (change) actions.push(change);
  if (state.lifecycle !== spec.lifecycle)
    actions.push({ op: "lifecycle", lifecycle: spec.lifecycle, reason: `lifecycle: is ${state.lifecycle}, declared ${spec.lifecycle}` });
  actions.push(...forwardActions(spec.expose, state.forwards));
  const power = powerAction(spec, state);
  if (typeof power === "string") notes.push(power);
  else if (power) actions.push(power);
  return { actions, notes };
}

function describeKind(spec: InstanceSpec): string {
  return `${spec.lifecycle === "ephemeral" ? "an ephemeral" : "a persistent"} ${spec.kind === "vm" ? "virtual machine" : "container"}`;
}

function powerAction(spec: InstanceSpec, state: InstanceState): InstanceAction | string | undefined {
  if (state.status === "running") return spec.state === "stopped" ? { op: "stop", reason: "is running, declared stopped" } : undefined;
  if (state.status === "stopped") return spec.state === "running" ? { op: "start", reason: "is stopped, declared running" } : undefined;
  return `status: is ${state.status}, declared ${spec.state}; HostKit starts and stops instances but does not change a ${state.status} one (fix it by hand)`;
}

/** Short, single-line rendering of a config value for reasons (values can be long, e.g. cloud-init). */
function show(v: string | undefined): string {
  if (v === undefined) return "unset";
  const one = JSON.stringify(v);
  return one.length > 60 ? `${one.slice(0, 57)}…"` : one;
}

/** The config action, or undefined when HostKit's keys already match. */
export function configChange(want: Record<string, string>, state: Pick<InstanceState, "config" | "managedKeys">): InstanceAction | undefined {
  const set: Record<string, string> = {};
  const unset: string[] = [];
  const reasons: string[] = [];
  for (const k of Object.keys(want).sort()) {
    if (state.config[k] !== want[k]) {
      set[k] = want[k]!;
      reasons.push(`config ${k}: ${show(state.config[k])} → ${show(want[k])}`);
    }
  }
  for (const k of [...state.managedKeys].sort()) {
    if (!(k in want) && k in state.config) {
      unset.push(k);
      reasons.push(`config ${k}: no longer declared, unset (was ${show(state.config[k])})`);
    }
  }
  const managedKeys = Object.keys(want).sort();
  const sameKeys = managedKeys.join(",") === [...state.managedKeys].sort().join(",");
  if (reasons.length === 0 && sameKeys) return undefined;
  if (reasons.length === 0) reasons.push(`config: record the keys HostKit manages (${managedKeys.join(", ") || "none"})`);
  return { op: "config", change: { set, unset, managedKeys }, reason: reasons.join("; ") };
}

export function describeForward(f: Forward): string {
  const host = f.listen.includes(":") ? `[${f.listen}]` : f.listen;
  return `${host}:${f.host} → guest ${f.guest}`;
}

function describeState(f: ForwardState): string {
  if (f.listen === undefined || f.host === undefined || f.guest === undefined) return `"${f.raw}"`;
  return describeForward({ listen: f.listen, host: f.host, guest: f.guest }) + (f.guestAddr && f.guestAddr !== "127.0.0.1" ? ` (${f.guestAddr})` : "");
}

function sameForward(w: Forward, h: ForwardState): boolean {
  return h.listen === w.listen && h.host === w.host && h.guest === w.guest && h.guestAddr === "127.0.0.1";
}

/** Per exposed port: add, update in place, or remove. Unchanged ports give no action. */
export function forwardActions(want: Record<string, Forward>, have: Record<string, ForwardState>): ForwardAction[] {
  const out: ForwardAction[] = [];
  for (const name of Object.keys(want).sort()) {
    const w = want[name]!;
    const h = have[name];
    if (!h) out.push({ op: "forward-add", name, forward: w, reason: `expose ${name}: add ${describeForward(w)}` });
    else if (!sameForward(w, h)) out.push({ op: "forward-update", name, forward: w, reason: `expose ${name}: ${describeState(h)} → ${describeForward(w)}` });
  }
  for (const name of Object.keys(have).sort()) {
    if (!(name in want)) out.push({ op: "forward-remove", name, reason: `expose ${name}: no longer declared, remove ${describeState(have[name]!)}` });
  }
  return out;
}
