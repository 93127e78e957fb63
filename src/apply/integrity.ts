/**
 * Saved-plan integrity: `apply --plan` never trusts a plan file. Before anything runs (before the
 * host lock, before any command on the target) it checks that
 * - the plan is signed with `HOSTKIT_PLAN_KEY` when a key is configured (artifacts/plan-sign.ts);
 * - its target is the selected target, and an unsigned plan does not choose its own offline root or
 *   machine (the user names it), nor an SSH host the infra file does not declare;
 * - its project is the infra file's project;
 * - an UP plan holds only what the infra file declares now: each change of a kind carries exactly the
 *   declared resource (commands included: argv, user, env, down), and every step (reload, start,
 *   restart, a command run) is one the planner derives again from the declarations;
 * - a DOWN plan is one hostkit derived (its digest is recorded, see integrity-down.ts), and its
 *   `$backup` references name payloads of its own run's backup directory.
 * Then, with the host read (before the lock, and again under it), an up plan is REBUILT from the
 * declared resources and the fresh facts; what is applied is that rebuild, never fields only the plan
 * file carries. A rebuilt change that differs from the saved one is refused, naming the change.
 */
import type { CompiledProject } from "../compile/index.ts";
import { HostKitError } from "../model/errors.ts";
import type { Change, Plan, TargetInfo } from "../model/plan.ts";
import { resourceKey, type Resource } from "../model/resource.ts";
import type { TargetCtx } from "../model/kind.ts";
import { kindOf, stepOf } from "../kinds/registry.ts";
import { stableStringify } from "../plan/digest.ts";
import { planHost } from "../plan/planner.ts";
import type { Runner } from "../targets/runner.ts";
import { sameTarget, type RunStore } from "../artifacts/runs.ts";
import { requireSignature } from "../artifacts/plan-sign.ts";
import type { SavedPlan } from "../artifacts/saved-plan.ts";
import { findDrift } from "./stale.ts";
import { verifyDownPlan, type Problem } from "./integrity-down.ts";
import type { BackupStore } from "./backups.ts";

export type { Problem };

export interface VerifyOptions {
  saved: SavedPlan;
  /** The infra file (given, or found through the plan's sources) and its compiled project. */
  file?: string;
  project?: CompiledProject;
  /** The target the plan is about to be applied to. */
  target: TargetInfo;
  /** Whether the command line named the target (--root/--local/--host/--remote). */
  targetChosen: boolean;
  /** The project's run store (down plans are checked against the runs they were derived from). */
  store?: RunStore;
}

export interface VerifiedPlan {
  /** The plan to show before it is applied. */
  plan: Plan;
  /**
   * Read the host and return the plan to apply: for an up plan, rebuilt from the declarations and
   * the fresh facts. Throws when the host changed since the plan was made (stale) or when the saved
   * plan is not what that rebuild gives (tampered).
   */
  check(runner: Runner, ctx: TargetCtx): Promise<Plan>;
  /** For a down plan of a tracked run: where its `$backup` payloads are. */
  backups?: BackupStore;
}

function describe(t: TargetInfo): string {
  return t.transport === "root" ? `offline root ${t.root}` : t.transport === "local" ? "this machine (local)" : `SSH host ${t.name} (${t.host}:${t.port ?? 22})`;
}

/** Refuse with every problem found, each naming its change. */
export function refuse(path: string, problems: Problem[], what: string, hint: string): never {
  throw new HostKitError({
    subject: `plan ${path}`,
    message: `is refused: ${what}; nothing was applied:\n${problems.map((p) => `  ${p.key}: ${p.why}`).join("\n")}`,
    hint,
  });
}

function targetProblems(o: VerifyOptions): Problem[] {
  const { plan, signature } = o.saved;
  const out: Problem[] = [];
  if (!sameTarget(plan.target, o.target)) out.push({ key: "target", why: `the plan was made for ${describe(plan.target)}, not ${describe(o.target)}` });
  else if (!o.targetChosen && signature !== "valid") {
    // An unsigned file cannot choose where it is applied: an edited `target` would send it elsewhere.
    if (plan.target.transport === "root") out.push({ key: "target", why: `an unsigned saved plan does not choose its own target: pass --root ${plan.target.root} to apply it there` });
    else if (plan.target.transport === "local" && o.project?.instances?.includes(plan.target.name)) out.push({ key: "target", why: `an unsigned saved plan does not choose its own target: pass --instance ${plan.target.name} to apply it to that instance` });
    else if (plan.target.transport === "local") out.push({ key: "target", why: "an unsigned saved plan does not choose its own target: pass --local to apply it to this machine" });
    else if (!o.project?.hosts.some((h) => h.name === plan.target.name)) out.push({ key: "target", why: `host ${plan.target.name} is not declared in ${o.file ?? "the infra file"}: pass --host or --remote to apply it there` });
  }
  return out;
}

function projectProblems(o: VerifyOptions): Problem[] {
  const { plan } = o.saved;
  if (!o.project) return [{ key: "project", why: `no infra file declaring project ${JSON.stringify(plan.project)} was given or found through the plan's sources, so the plan cannot be checked against its declarations: pass the infra FILE` }];
  if (o.project.project !== plan.project) return [{ key: "project", why: `the plan is for project ${JSON.stringify(plan.project)}, but ${o.file ?? "the infra file"} declares project ${JSON.stringify(o.project.project)}` }];
  return [];
}

/** Steps (reload, starts) and kinds that plan as steps (commands): checked against the rebuild, not statically. */
export function isDerived(c: Pick<Change, "type">): boolean {
  return !!stepOf(c.type) || !!kindOf(c.type)?.steps;
}

/** The fields of two resources that differ (source locations aside: moving a line changes nothing applied). */
export function resourceDiff(saved: unknown, declared: Resource): string[] {
  const a: Record<string, unknown> = { ...((saved ?? {}) as Record<string, unknown>), source: undefined };
  const b: Record<string, unknown> = { ...(declared as Record<string, unknown>), source: undefined };
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => stableStringify(a[k]) !== stableStringify(b[k]));
}

export function same(a: unknown, b: unknown): boolean {
  return stableStringify(a ?? null) === stableStringify(b ?? null);
}

interface UpContext {
  project: CompiledProject;
  declared: Map<string, Resource>;
  file: string;
}

/** Static check of one up change against the declarations; returns why it is refused, or undefined. */
function upProblem(c: Change, u: UpContext): string | undefined {
  if (c.key !== `${c.type}:${c.id}`) return `its key does not match its type and id (${c.type}:${c.id})`;
  if (stepOf(c.type)) return c.action === "run" ? undefined : "a step only runs";
  const kind = kindOf(c.type);
  const r = u.declared.get(c.key);
  // A prune (a managed resource no longer declared): checked against the host's record by the rebuild.
  if (!r) return c.action === "delete" && c.resource ? undefined : `is not declared in ${u.file}: the declarations do not produce this change`;
  if (!kind) return `${c.type} changes are not planned by this hostkit`;
  if (!c.resource) return "carries no resource";
  const diff = resourceDiff(c.resource, r);
  if (diff.length) return `differs from the declaration in: ${diff.join(", ")}`;
  if (kind.steps) return c.action === "run" ? undefined : "only runs";
  if (!c.basis) return "carries no basis (the facts it was planned against)";
  return undefined;
}

function upProblems(plan: Plan, u: UpContext): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const c of plan.changes) {
    if (seen.has(c.key)) out.push({ key: c.key, why: "appears twice" });
    seen.add(c.key);
    const why = upProblem(c, u);
    if (why) out.push({ key: c.key, why });
  }
  return out;
}

/**
 * Read the host for every declared resource and rebuild the plan from the declarations, exactly as
 * `hostkit plan` does (the same planner, handlers and command steps). A saved resource change whose
 * basis differs is stale; any saved change the rebuild does not give the same way (an edited `after`,
 * a step or command the declarations do not produce now, another order) is refused as tampered.
 * What is applied is the rebuild's version of each saved change.
 */
async function rebuildUp(saved: SavedPlan, u: UpContext, runner: Runner, ctx: TargetCtx, targetName: string): Promise<Plan> {
  const { plan, path } = saved;
  // The same planner as `hostkit plan` (the managed-resources record and prunes included).
  // Secrets are not compared again: the values apply is given are what it writes.
  const rebuiltPlan = await planHost({ project: plan.project, resources: u.project.resources, runner, ctx: { ...ctx, compareSecrets: false }, target: plan.target, keepNoops: true, ...(plan.prune === false ? { prune: false } : {}), ...(plan.rotateSecrets ? { rotateSecrets: true } : {}) });
  const rebuilt = new Map(rebuiltPlan.changes.map((c, i) => [c.key, { c, i }]));
  const stale = plan.changes.filter((c) => !isDerived(c) && c.basis !== rebuilt.get(c.key)?.c.basis);
  if (stale.length) {
    throw new HostKitError({ subject: `plan ${path}`, message: `is stale: ${stale.length} resource(s) changed on ${targetName} since it was made:\n${stale.map((c) => `  ${c.key}`).join("\n")}`, hint: "make a new plan" });
  }
  const problems: Problem[] = [];
  let last = -1;
  for (const c of plan.changes) {
    const r = rebuilt.get(c.key);
    if (!r || r.c.action === "noop") {
      problems.push({ key: c.key, why: `is not a change the declarations give for ${targetName} as it is now` });
      continue;
    }
    const fields = (["action", "before", "after", "down"] as const).filter((f) => !same(c[f], r.c[f]));
    if (!isDerived(c) && !same(c.reason, r.c.reason)) fields.push("reason" as never);
    if (fields.length) problems.push({ key: c.key, why: `its ${fields.join(", ")} ${fields.length > 1 ? "are" : "is"} not what the declaration gives against the target as it is (${r.c.action}: ${r.c.reason})` });
    if (r.i < last) problems.push({ key: c.key, why: "is out of order (the planner's order is dependencies, reload, before-start commands, starts, after-start commands)" });
    last = Math.max(last, r.i);
  }
  if (problems.length) refuse(path, problems, `its changes are not what ${u.file} declares for ${targetName}`, "make a new plan with hostkit plan --out");
  const { managed: _m, ...rest } = plan;
  return { ...rest, changes: plan.changes.map((c) => rebuilt.get(c.key)!.c), ...(rebuiltPlan.managed ? { managed: rebuiltPlan.managed } : {}) };
}

/**
 * Check a saved plan before anything runs. Throws a HostKitError naming every refused change.
 * @example
 * const v = verifySavedPlan({ saved, file, project, target: t.info, targetChosen: false });
 * const plan = await v.check(runner, t.ctx);
 */
export function verifySavedPlan(o: VerifyOptions): VerifiedPlan {
  requireSignature(o.saved);
  const { plan, path } = o.saved;
  const problems = [...targetProblems(o), ...projectProblems(o)];
  if (plan.direction === "down") {
    const down = verifyDownPlan(o.saved, o.store, problems);
    if (problems.length) refuse(path, problems, "it is not a down plan hostkit derived for this project and target", "derive it again: hostkit down --last --out FILE (or hostkit down UP_PLAN --out FILE)");
    return {
      plan,
      ...(down.backups ? { backups: down.backups } : {}),
      async check(runner, ctx) {
        const drift = await findDrift(plan, runner, ctx);
        if (drift.length) throw new HostKitError({ subject: `plan ${path}`, message: `is stale: ${drift.length} resource(s) changed on ${o.target.name} since it was made:\n${drift.map((d) => `  ${d.key}`).join("\n")}`, hint: "make a new plan" });
        // Its managed-resources record is covered too: the whole plan's digest is the one hostkit derived.
        return plan;
      },
    };
  }
  if (problems.length && !o.project) refuse(path, problems, "it cannot be checked", "pass the infra FILE the plan was made from");
  const file = o.file ?? "the infra file";
  const u: UpContext = { project: o.project!, declared: new Map(o.project!.resources.map((r) => [resourceKey(r), r])), file };
  problems.push(...upProblems(plan, u));
  if (problems.length) refuse(path, problems, `it is not what ${file} declares`, "make a new plan with hostkit plan --out");
  return { plan, check: (runner, ctx) => rebuildUp(o.saved, u, runner, ctx, o.target.name) };
}
