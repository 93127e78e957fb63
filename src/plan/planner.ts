/**
 * The planner: facts + resources → an ordered plan. Pure apart from the one probe round trip:
 * accounts, directories, files and env files, units, daemon-reload, before-start commands,
 * starts/restarts, after-start commands.
 */
import { HostKitError } from "../model/errors.ts";
import { resourceKey, type Resource } from "../model/resource.ts";
import { formatLoc } from "../model/source.ts";
import { makePlan, summarize, type Change, type Plan, type TargetInfo } from "../model/plan.ts";
import { byKind, kindOf } from "../kinds/registry.ts";
import { DAEMON_RELOAD, pendingReloadsFact, pendingReloadSteps } from "../kinds/systemd-steps.ts";
import { factOf, type TargetCtx } from "../model/kind.ts";
import { managedFact, nextRecord, stateOf } from "./managed.ts";
import { planPrune } from "./prune.ts";
import type { Runner } from "../targets/runner.ts";
import { digest } from "./digest.ts";
import { dependencyOrder } from "./order.ts";
import { handlerSteps, type UnitInfo } from "./handlers.ts";
import { probeAll, type Observed } from "./probe.ts";
import { planProblems } from "./validate.ts";

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
  /** false (`--no-prune`): resources no longer declared are not planned for deletion. */
  prune?: boolean;
  /** `apply --rotate-secrets`: resources whose kind keeps secrets (env files) are rewritten even when they match. */
  rotateSecrets?: boolean;
  now?: Date;
}

/** With --rotate-secrets: matching resources that hold secret references become rewrites. */
function rotated(changes: Change[]): Change[] {
  return changes.map((c) => {
    const secrets = (c.resource as { secret?: Record<string, unknown> } | undefined)?.secret;
    if (c.action !== "noop" || !kindOf(c.type)?.backupIsSecret || !secrets || !Object.keys(secrets).length) return c;
    return { ...c, action: "update", reason: `secret values rewritten (--rotate-secrets): ${Object.keys(secrets).sort().join(", ")}` };
  });
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
    // Kinds that plan as steps (commands) produce no change of their own here.
    if (!kind || kind.steps) continue;
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
      ...(d.warning ? { warning: d.warning } : {}),
      resource: r,
      basis,
    });
  }
  return changes;
}

/** Reload, starts/restarts and commands, derived from the resource changes (pure). */
export function deriveSteps(changes: Change[], observed: readonly Observed[], ctx: TargetCtx): { reload: Change[]; before: Change[]; starts: Change[]; after: Change[]; notRun: string[]; skipped: string[] } {
  const units: UnitInfo[] = observed.flatMap(({ resource: r, fact }) => {
    const role = kindOf(r.type)?.unit?.(r);
    if (!role) return [];
    const f = fact as { exists?: boolean; active?: string };
    return [{ ...role, key: resourceKey(r), source: formatLoc(r.source), ...(r.service ? { service: r.service } : {}), exists: !!f.exists, ...(f.active !== undefined ? { active: f.active } : {}) }];
  });
  const handled = handlerSteps(changes, units, { live: !ctx.root, verb: "changed" });
  const out = { reload: handled.filter((c) => c.type === DAEMON_RELOAD), starts: handled.filter((c) => c.type !== DAEMON_RELOAD), before: [] as Change[], after: [] as Change[], notRun: [] as string[], skipped: [] as string[] };
  // Kinds that plan as steps (commands), each over all its resources at once.
  const all = observed.map((o) => o.resource);
  for (const [type, resources] of byKind(all, (k) => k.steps)) {
    const s = kindOf(type)!.steps!({ resources, changes, ctx, all, release: (c) => !kindOf(c.type)?.steps && (kindOf(c.type)?.triggers?.(c) ?? true) });
    out.skipped.push(...(s.skipped ?? []));
    out.before.push(...s.before);
    out.after.push(...s.after);
    out.notRun.push(...s.notRun);
  }
  return out;
}

/** Assemble the ordered plan from its parts. */
export function assemble(opts: Pick<PlanOptions, "project" | "target" | "keepNoops" | "now">, changes: Change[], derived: ReturnType<typeof deriveSteps>, warnings: string[], pruned: Change[] = []): Plan {
  // Dependency order (requires edges), ties in the order given: never by type. Pruned deletes follow, already in reverse dependency order.
  const ordered = [...dependencyOrder(changes.map((c) => ({ key: c.key, c, requires: c.resource?.requires }))).map((n) => n.c), ...pruned];
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
    // Steps of a changed service that did not run (and why): a down plan repeats them.
    warnings: [...warnings, ...(derived.skipped ?? [])],
  });
}

/**
 * The resources a target gets: project-wide ones, and those declared inside `p.host(name, …)` for
 * that host only. On a target that is no declared host (--root, --local, --remote) host-scoped ones
 * are left out, saying so.
 */
export function forTarget<R extends Resource>(resources: readonly R[], target: TargetInfo, warnings: string[]): R[] {
  const other = resources.filter((r) => r.host && r.host !== target.name);
  const hosts = [...new Set(other.map((r) => r.host!))];
  if (other.length && target.transport !== "ssh") warnings.push(`${other.length} resource(s) declared for host ${hosts.join(", ")} are not planned on ${target.name} (plan with --host to include them)`);
  return resources.filter((r) => !r.host || r.host === target.name);
}

/** The resources a target can plan, and by kind those it cannot (a kind's `unplanned` says why). */
export function splitUnplanned<R extends Resource>(rs: readonly R[], ctx: TargetCtx): { planned: R[]; unplanned: Map<string, R[]> } {
  const unplanned = new Map<string, R[]>();
  for (const [type, list] of byKind(rs)) if (kindOf(type)?.unplanned?.(list, ctx)) unplanned.set(type, list);
  return { planned: rs.filter((r) => !unplanned.has(r.type)), unplanned };
}

/** Read the host once and plan every selected resource. */
export async function planHost(opts: PlanOptions): Promise<Plan> {
  const warnings: string[] = [];
  // Everything declared for this target (selected or not: prune and the record need both).
  const declared = forTarget(opts.resources, opts.target, warnings);
  const declaredKeys = new Set(declared.map(resourceKey));
  const selected = selectResources(declared, opts.ignore);
  // Kinds this build cannot plan on this target: their resources are left out with the kind's own warning, and the plan says it is incomplete.
  const { planned, unplanned } = splitUnplanned(selected, opts.ctx);
  for (const [type, rs] of unplanned) warnings.push(kindOf(type)!.unplanned!(rs, opts.ctx)!);
  const incomplete = [...unplanned.values()].flat().map(resourceKey);
  // The managed-resources record is read in the same round trip as every probe.
  const stateDef = managedFact(opts.project);
  const { observed, unsafe, facts, checks } = await probeAll(planned, opts.runner, opts.ctx, [stateDef, pendingReloadsFact], true);
  // Facts read through a link are the link target's, not the declared path's: no plan is made on them.
  if (unsafe.length) throw new HostKitError(unsafe);
  // What could only fail at apply (a missing owner, a file where a directory goes, a bad calendar spec, a port clash) fails the plan.
  const problems = planProblems({ observed, declared, facts, checks, ctx: opts.ctx, host: opts.target.transport === "root" ? `--root ${opts.target.root ?? opts.target.name}` : `host ${opts.target.name}` });
  if (problems.length) throw new HostKitError(problems);
  const state = stateOf(factOf(facts, stateDef), opts.project, opts.target.name);
  const changes = opts.rotateSecrets ? rotated(diffObserved(observed)) : diffObserved(observed);
  // A matching resource's warning (secret values not compared) is said among the plan's warnings.
  for (const c of changes) if (c.action === "noop" && c.warning) warnings.push(`${c.key}: ${c.warning}`);
  const declaredPaths = new Set(declared.flatMap((r) => kindOf(r.type)?.writes?.(r)?.path ?? []));
  const pruned = await planPrune({ state, declared: declaredKeys, declaredPaths, prune: opts.prune !== false, runner: opts.runner, ctx: opts.ctx }, opts.target.name);
  warnings.push(...pruned.warnings);
  const derived = deriveSteps([...changes, ...pruned.deletes], [...observed, ...pruned.observed], opts.ctx);
  // A reload that failed in an earlier run is planned again until one succeeds (src/kinds/systemd-steps.ts).
  const deletedUnits = new Set([...changes, ...pruned.deletes].flatMap((c) => (c.action === "delete" && c.resource ? [kindOf(c.type)?.unit?.(c.resource)?.name ?? ""] : [])));
  derived.starts.push(...pendingReloadSteps(factOf(facts, pendingReloadsFact) ?? new Map(), derived.starts, deletedUnits));
  if (derived.notRun.length) warnings.push(`offline root: ${derived.notRun.length} command(s) run only on live hosts and are not run here: ${derived.notRun.join(", ")}`);
  const plan = assemble(opts, changes, derived, warnings, pruned.deletes);
  // Declared resources left out with --ignore keep their previous entries; nothing new is recorded for them.
  const plannedKeys = new Set(planned.map(resourceKey));
  const ignoredEntries = (state?.entries ?? []).filter((e) => !plannedKeys.has(e.key) && declaredKeys.has(e.key));
  const record = nextRecord(opts.project, planned, changes, state, [...pruned.carried, ...ignoredEntries]);
  const withState: Plan = { ...plan, ...(opts.prune === false ? { prune: false } : {}), ...(opts.rotateSecrets ? { rotateSecrets: true } : {}), managed: { record, previous: state } };
  return incomplete.length ? { ...withState, incomplete } : withState;
}
