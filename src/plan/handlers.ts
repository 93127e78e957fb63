/**
 * Handlers: the steps that resource changes notify — `systemd:daemon-reload` when unit files are
 * written, `service_state:<unit>` (start or restart) when a unit or one of its inputs changed or a
 * unit that should run is not running. Each step appears once, however many changes notify it, and
 * after every resource change (the planner places them). ONE function derives them for up plans and
 * for down plans (where the inputs are "restored" rather than "changed"), so a rolled-back unit runs
 * its previous configuration by the same rules that started the new one.
 */
import type { Change } from "../model/plan.ts";
import { kindOf } from "../kinds/registry.ts";
import { daemonReload, serviceState } from "../kinds/systemd-steps.ts";

/** Unit-file kinds (they have a `unit` role): writing one needs a daemon-reload before units start. */
function isUnitFile(type: string): boolean {
  return !!kindOf(type)?.unit;
}

export interface UnitInfo {
  name: string;
  key: string;
  source?: string;
  service?: string;
  /** Declared to run: started when not running, restarted when it or its inputs change. */
  start: boolean;
  /** Keys of resources whose change restarts it. */
  restartOn: readonly string[];
  /** Keys of resources whose change reloads it (a restart covers it). */
  reloadOn?: readonly string[];
  /** Whether the unit file exists and `is-active` now, when the host was read (up plans). */
  exists?: boolean;
  active?: string;
}

export interface HandlerOptions {
  /** Offline roots reload and start nothing. */
  live: boolean;
  /** How a change is described in reasons: "changed" (up) or "restored" (down). */
  verb: "changed" | "restored";
  /** Down plans: units the up plan started or restarted; they restart when their service's files are restored. */
  startedBefore?: ReadonlySet<string>;
}

type Rec = Record<string, unknown> | undefined;

/** Whether a change writes or removes file content (an update that only re-enables does not). */
export function writesContent(c: Pick<Change, "action" | "before" | "after">): boolean {
  if (c.action === "create" || c.action === "delete") return true;
  if (c.action !== "update") return false;
  return (c.before as Rec)?.sha256 !== (c.after as Rec)?.sha256;
}

export function handlerSteps(changes: readonly Change[], units: readonly UnitInfo[], opts: HandlerOptions): Change[] {
  if (!opts.live) return [];
  const changed = changes.filter((c) => c.action !== "noop");
  const byKey = new Map(changed.map((c) => [c.key, c]));
  const steps: Change[] = [];
  if (changed.some((c) => isUnitFile(c.type) && writesContent(c))) {
    steps.push(daemonReload(`unit files ${opts.verb}`));
  }
  // Resources of a service (not its command runs) restored or changed.
  const servicesTouched = new Set(changed.flatMap((c) => (c.service && !kindOf(c.type)?.steps ? [c.service] : [])));
  const seen = new Set<string>();
  for (const u of units) {
    if (!u.start || seen.has(u.name)) continue;
    seen.add(u.name);
    const own = byKey.get(u.key);
    if (own?.action === "delete") continue; // its ops stop it
    let step: { op: "start" | "restart" | "reload"; reason: string } | undefined;
    const inputs = u.restartOn.filter((k) => byKey.has(k));
    if (u.active !== undefined && (!u.exists || u.active !== "active")) step = { op: "start", reason: u.exists ? `not active (${u.active})` : "new unit" };
    else if (own && writesContent(own)) step = { op: "restart", reason: `unit file ${opts.verb}` };
    else if (inputs.length) step = { op: "restart", reason: `${inputs.join(", ")} ${opts.verb}` };
    else if (opts.startedBefore?.has(u.name) && u.service && servicesTouched.has(u.service)) step = { op: "restart", reason: `service ${u.service} ${opts.verb}` };
    else if ((u.reloadOn ?? []).some((k) => byKey.has(k))) step = { op: "reload", reason: `${(u.reloadOn ?? []).filter((k) => byKey.has(k)).join(", ")} ${opts.verb}` };
    if (!step) continue;
    steps.push(serviceState(u.name, step.op, step.reason, u));
  }
  // Steps kinds notify (reload Caddy after a site changed), once each; a step already derived wins.
  for (const c of changed) {
    for (const s of kindOf(c.type)?.notify?.(c) ?? []) if (!steps.some((x) => x.key === s.key)) steps.push(s);
  }
  return steps;
}
