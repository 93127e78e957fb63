/**
 * The planner: facts + resources → an ordered plan. Pure apart from the one probe round trip:
 * accounts, directories, files and env files, units, daemon-reload, before-start commands,
 * starts/restarts, after-start commands.
 */
import { HostKitError } from "../model/errors.ts";
import { resourceKey, type Command, type Resource } from "../model/resource.ts";
import { formatLoc } from "../model/source.ts";
import { makePlan, summarize, type Change, type Plan, type TargetInfo } from "../model/plan.ts";
import { kindOf } from "../kinds/index.ts";
import type { TargetCtx } from "../kinds/types.ts";
import type { UnitFact } from "../kinds/unit-file.ts";
import type { Runner } from "../targets/runner.ts";
import { digest } from "./digest.ts";
import { dependencyOrder } from "./order.ts";
import { handlerSteps, type UnitInfo } from "./handlers.ts";
import { probeAll, type Observed } from "./probe.ts";

export interface PlanOptions {
  project: string;
  resources: readonly Resource[];
  runner: Runner;
  ctx: TargetCtx;
  target: TargetInfo;
  /** `type:id` keys to leave out. */
  ignore?: readonly string[];
  /** Keep noop changes in the plan (they are counted either way). */
  keepNoops?: boolean;
  now?: Date;
}


export function selectResources(resources: readonly Resource[], ignore: readonly string[] = []): Resource[] {
  const keys = new Set(resources.map(resourceKey));
  for (const k of ignore) {
    if (!keys.has(k)) throw new HostKitError({ key: "--ignore", message: `no resource ${k} in this project`, hint: "keys look like file:/etc/app.conf or systemd_service:app.service (see hostkit dump)" });
  }
  const drop = new Set(ignore);
  return resources.filter((r) => !drop.has(resourceKey(r)));
}

/** Diff observed facts into resource changes (pure). */
export function diffObserved(observed: readonly Observed[]): Change[] {
  const changes: Change[] = [];
  for (const { resource: r, fact, basis } of observed) {
    const kind = kindOf(r.type);
    if (!kind || r.type === "command") continue;
    const d = kind.diff(r, fact);
    changes.push({
      key: resourceKey(r),
      type: r.type,
      id: r.id,
      action: d.action,
      reason: d.reason,
      source: formatLoc(r.source),
      ...(r.service ? { service: r.service } : {}),
      ...(d.before ? { before: d.before } : {}),
      ...(d.after ? { after: d.after } : {}),
      resource: r,
      basis,
    });
  }
  return changes;
}

/** Reload, starts/restarts and commands, derived from the resource changes (pure). */
export function deriveSteps(changes: Change[], observed: readonly Observed[], ctx: TargetCtx): { reload: Change[]; before: Change[]; starts: Change[]; after: Change[]; notRun: string[] } {
  const changed = changes.filter((c) => c.action !== "noop");
  const servicesChanged = new Set(changed.flatMap((c) => (c.service ? [c.service] : [])));
  const units: UnitInfo[] = observed.flatMap(({ resource: r, fact }) => {
    if (r.type !== "systemd_service" && r.type !== "systemd_timer") return [];
    const f = fact as UnitFact;
    return [{ name: r.name, key: resourceKey(r), source: formatLoc(r.source), ...(r.service ? { service: r.service } : {}), start: r.start, restartOn: r.type === "systemd_service" ? r.restartOn : [], exists: f.exists, active: f.active }];
  });
  const handled = handlerSteps(changes, units, { live: !ctx.root, verb: "changed" });
  const reload = handled.filter((c) => c.type === "systemd");
  const starts = handled.filter((c) => c.type !== "systemd");

  const before: Change[] = [];
  const after: Change[] = [];
  /** Commands that would run on a live host; an offline root runs nothing, so they are a warning, not a step. */
  const notRun: string[] = [];
  const anyChange = changed.length > 0;
  for (const { resource: r } of observed) {
    if (r.type !== "command") continue;
    const cmd = r as Command;
    const serviceChanged = cmd.service ? servicesChanged.has(cmd.service) : anyChange;
    if (cmd.when !== "always" && !serviceChanged) continue;
    if (ctx.root) {
      notRun.push(resourceKey(r));
      continue;
    }
    // References (never values) of the secrets in the env files it loads: the applier scrubs their values from output.
    const secrets = observed.flatMap(({ resource: e }) => (e.type === "env_file" && cmd.env.includes(e.path) ? Object.values(e.secret) : []));
    const change: Change = {
      key: resourceKey(r),
      type: "command",
      id: r.id,
      action: "run",
      reason: cmd.when === "always" ? "runs on every apply" : cmd.service ? `service ${cmd.service} changed` : "the plan has changes",
      source: formatLoc(r.source),
      ...(r.service ? { service: r.service } : {}),
      after: { exec: cmd.exec, phase: cmd.phase, ...(secrets.length ? { secrets } : {}) },
      down: Array.isArray(cmd.down) ? { exec: cmd.down } : cmd.down,
      resource: r,
    };
    (cmd.phase === "after_start" ? after : before).push(change);
  }
  return { reload, before, starts, after, notRun };
}

/** Assemble the ordered plan from its parts. */
export function assemble(opts: Pick<PlanOptions, "project" | "target" | "keepNoops" | "now">, changes: Change[], derived: ReturnType<typeof deriveSteps>, warnings: string[]): Plan {
  // Dependency order (requires edges), ties in the order given: never by type.
  const ordered = dependencyOrder(changes.map((c) => ({ key: c.key, c, requires: c.resource?.requires }))).map((n) => n.c);
  const all = [...ordered, ...derived.reload, ...derived.before, ...derived.starts, ...derived.after];
  const kept = opts.keepNoops ? all : all.filter((c) => c.action !== "noop");
  const noops = all.length - kept.length;
  return makePlan({
    direction: "up",
    project: opts.project,
    target: opts.target,
    ...(opts.now ? { now: opts.now } : {}),
    basis: digest(ordered.map((c) => c.basis ?? null)),
    changes: kept,
    summary: summarize(kept, noops),
    warnings,
  });
}

/** Read the host once and plan every selected resource. */
export async function planHost(opts: PlanOptions): Promise<Plan> {
  const selected = selectResources(opts.resources, opts.ignore);
  const warnings: string[] = [];
  const packages = selected.filter((r) => r.type === "package");
  if (packages.length) {
    warnings.push(`${packages.length} package resource(s) (${packages.map((p) => p.id).join(", ")}) are declared but not planned: OS package management is not part of this build yet`);
  }
  const { observed, unsafe } = await probeAll(selected.filter((r) => r.type !== "package"), opts.runner, opts.ctx);
  // Facts read through a link are the link target's, not the declared path's: no plan is made on them.
  if (unsafe.length) throw new HostKitError(unsafe);
  const changes = diffObserved(observed);
  const derived = deriveSteps(changes, observed, opts.ctx);
  if (derived.notRun.length) warnings.push(`offline root: ${derived.notRun.length} command(s) run only on live hosts and are not run here: ${derived.notRun.join(", ")}`);
  return assemble(opts, changes, derived, warnings);
}
