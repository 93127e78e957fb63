/**
 * What a down plan does to an instance a run UPDATED: the actions that run applied (recomputed from
 * the declaration and the state it was planned against, the change's `before`), each inverted, in
 * reverse order. Pure. What is restored: HostKit's config keys (their previous values, or unset, and
 * the previous ownership record), the lifecycle, each exposed port the run added, moved or removed,
 * and the running state. What is not: the seeded key or password (said in a warning by the caller).
 */
import type { ConfigChange, Forward, ForwardState, InstanceSpec, InstanceState } from "./backend.ts";
import { describeForward, diffInstance, type InstanceAction } from "./diff.ts";

export interface Restore {
  /** In the order to apply them. */
  actions: InstanceAction[];
  /** Parts that cannot be put back exactly, for the plan's warnings. */
  warnings: string[];
  /** HostKit's exposed ports after the restore (for the settled state). */
  forwards: Record<string, Forward>;
  /** HostKit's config keys and values after the restore. */
  config: Record<string, string>;
}

function asForward(f: ForwardState | undefined): Forward | undefined {
  return f && f.listen !== undefined && f.host !== undefined && f.guest !== undefined ? { listen: f.listen, host: f.host, guest: f.guest } : undefined;
}

function pick(config: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => k in config).map((k) => [k, config[k]!]));
}

export function restoreActions(spec: InstanceSpec, before: InstanceState, name: string): Restore {
  const warnings: string[] = [];
  const forwards: Record<string, Forward> = { ...spec.expose };
  const out: InstanceAction[] = [];
  for (const a of [...diffInstance(spec, before).actions].reverse()) {
    switch (a.op) {
      case "config": {
        const change: ConfigChange = { set: {}, unset: [], managedKeys: [...before.managedKeys].sort() };
        for (const k of [...new Set([...Object.keys(a.change.set), ...a.change.unset])].sort()) {
          if (k in before.config) change.set[k] = before.config[k]!;
          else change.unset.push(k);
        }
        const what = [...Object.entries(change.set).map(([k, v]) => `${k}=${JSON.stringify(v)}`), ...change.unset.map((k) => `unset ${k}`)];
        out.push({ op: "config", change, reason: `restore config of ${name}: ${what.join(", ") || `the keys HostKit manages (${change.managedKeys.join(", ") || "none"})`}` });
        break;
      }
      case "lifecycle":
        out.push({ op: "lifecycle", lifecycle: before.lifecycle, reason: `restore lifecycle of ${name}: ${before.lifecycle}` });
        break;
      case "forward-add":
        delete forwards[a.name];
        out.push({ op: "forward-remove", name: a.name, reason: `expose ${a.name}: added by the run, remove ${describeForward(a.forward)}` });
        break;
      case "forward-update":
      case "forward-remove": {
        const was = asForward(before.forwards[a.name]);
        if (!was) {
          warnings.push(`instance ${name}: expose ${a.name} was "${before.forwards[a.name]?.raw}" before the run, which HostKit cannot write back; not restored`);
          if (a.op === "forward-update") forwards[a.name] = a.forward;
          break;
        }
        const addr = before.forwards[a.name]?.guestAddr;
        if (addr !== undefined && addr !== "127.0.0.1") warnings.push(`instance ${name}: expose ${a.name} connected to ${addr} inside before the run; it is restored connecting to 127.0.0.1`);
        forwards[a.name] = was;
        out.push(a.op === "forward-update" ? { op: "forward-update", name: a.name, forward: was, reason: `expose ${a.name}: restore ${describeForward(was)}` } : { op: "forward-add", name: a.name, forward: was, reason: `expose ${a.name}: removed by the run, add back ${describeForward(was)}` });
        break;
      }
      case "start":
        out.push({ op: "stop", reason: `started by the run: stop instance ${name}` });
        break;
      case "stop":
        out.push({ op: "start", reason: `stopped by the run: start instance ${name}` });
        break;
      case "create":
        break;
    }
  }
  return { actions: out, warnings, forwards, config: pick(before.config, before.managedKeys) };
}
