/**
 * Saved-plan integrity: `apply --plan` never trusts a plan file. Before anything runs (before the
 * host lock, before any command on the target) it checks that
 * - the plan is signed with `HOSTKIT_PLAN_KEY` when a key is configured (artifacts/plan-sign.ts);
 * - its target is the selected target, and an unsigned plan does not choose its own offline root or
 *   machine (the user names it), nor an SSH host the infra file does not declare;
 * - its project is the infra file's project;
 * - an UP plan holds only what the infra file declares now: each resource change carries exactly the
 *   declared resource, each command is a declared command (argv, user, env, down) that this plan
 *   triggers, each start/restart is of a declared unit that is kept running;
 * - a DOWN plan is one hostkit derived (its digest is recorded, see integrity-down.ts), and its
 *   `$backup` references name payloads of its own run's backup directory.
 * Then, with the host read (before the lock, and again under it), an up plan is REBUILT from the
 * declared resources and the fresh facts; what is applied is that rebuild, never fields only the plan
 * file carries. A rebuilt change that differs from the saved one is refused, naming the change.
 */
import type { CompiledProject } from "../compile/index.ts";
import { HostKitError } from "../model/errors.ts";
import { formatLoc } from "../model/source.ts";
import type { Change, Plan, TargetInfo } from "../model/plan.ts";
import { resourceKey, type Command, type Resource, type SystemdService, type SystemdTimer } from "../model/resource.ts";
import type { TargetCtx } from "../model/kind.ts";
import { kindOf } from "../kinds/registry.ts";
import { stableStringify } from "../plan/digest.ts";
import { diffObserved } from "../plan/planner.ts";
import { probeAll } from "../plan/probe.ts";
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

/** Where a change sits in an up plan: resources, then reload, before-start commands, starts, after-start commands. */
function phaseRank(c: Change): number {
  if (c.type === "systemd") return 1;
  if (c.type === "service_state") return 3;
  if (c.type === "command") return (c.after as { phase?: string } | undefined)?.phase === "after_start" ? 4 : 2;
  return 0;
}

const DERIVED = new Set(["systemd", "service_state", "command"]);

/** The fields of two resources that differ (source locations aside: moving a line changes nothing applied). */
function resourceDiff(saved: unknown, declared: Resource): string[] {
  const a: Record<string, unknown> = { ...((saved ?? {}) as Record<string, unknown>), source: undefined };
  const b: Record<string, unknown> = { ...(declared as Record<string, unknown>), source: undefined };
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => stableStringify(a[k]) !== stableStringify(b[k]));
}

function same(a: unknown, b: unknown): boolean {
  return stableStringify(a ?? null) === stableStringify(b ?? null);
}

interface UpContext {
  declared: Map<string, Resource>;
  units: Map<string, SystemdService | SystemdTimer>;
  file: string;
  root: boolean;
  /** Services (and whether any resource) the plan's resource changes touch: what triggers commands. */
  services: Set<string>;
  anyResource: boolean;
  unitWritten: boolean;
}

/** Why a command change is not one the declarations produce for this plan (undefined: it is). */
function commandProblem(c: Change, cmd: Command, u: UpContext): string | undefined {
  const diff = resourceDiff(c.resource, cmd);
  if (diff.length) return `differs from the declared command in: ${diff.join(", ")}`;
  const after = (c.after ?? {}) as { exec?: unknown; phase?: unknown };
  if (!same(after.exec, cmd.exec) || after.phase !== cmd.phase) return "its argv or phase differs from the declared command";
  if (!same(c.down, Array.isArray(cmd.down) ? { exec: cmd.down } : cmd.down)) return "its down differs from the declared command's";
  const triggered = cmd.when === "always" || (cmd.service ? u.services.has(cmd.service) : u.anyResource);
  if (!triggered) return `declared to run when service ${cmd.service ?? "(any)"} changes, and nothing in this plan changes it`;
  return undefined;
}

/** Static check of one up change against the declarations; returns why it is refused, or undefined. */
function upProblem(c: Change, u: UpContext): string | undefined {
  if (c.key !== `${c.type}:${c.id}`) return `its key does not match its type and id (${c.type}:${c.id})`;
  if (c.type === "systemd") {
    if (c.id !== "daemon-reload" || c.action !== "run") return "is not a step the planner makes";
    if (u.root) return "an offline root reloads nothing";
    if (!u.unitWritten) return "no unit file is written by this plan";
    return undefined;
  }
  if (c.type === "service_state") {
    const unit = u.units.get(c.id);
    const after = (c.after ?? {}) as { op?: unknown; unit?: unknown };
    if (!unit) return `no unit ${c.id} is declared in ${u.file}`;
    if (!unit.start) return `unit ${c.id} is not declared to be kept running`;
    if (u.root) return "an offline root starts nothing";
    if (c.action !== "run" || (after.op !== "start" && after.op !== "restart") || after.unit !== c.id) return "only start or restart of the declared unit is allowed in an up plan";
    return undefined;
  }
  const r = u.declared.get(c.key);
  if (!r) return `is not declared in ${u.file}: the declarations do not produce this change`;
  if (c.type === "command") {
    if (u.root) return "an offline root runs no commands";
    if (c.action !== "run") return "a command change only runs";
    return commandProblem(c, r as Command, u);
  }
  if (!kindOf(c.type) || c.type === "package") return `${c.type} changes are not planned by this hostkit`;
  if (!c.resource) return "carries no resource";
  const diff = resourceDiff(c.resource, r);
  if (diff.length) return `differs from the declaration in: ${diff.join(", ")}`;
  if (!c.basis) return "carries no basis (the facts it was planned against)";
  return undefined;
}

function upContext(plan: Plan, project: CompiledProject, file: string, ctxRoot: boolean): UpContext {
  const declared = new Map(project.resources.map((r) => [resourceKey(r), r]));
  const units = new Map<string, SystemdService | SystemdTimer>();
  for (const r of project.resources) if (r.type === "systemd_service" || r.type === "systemd_timer") units.set(r.name, r);
  const resources = plan.changes.filter((c) => !DERIVED.has(c.type) && c.action !== "noop" && declared.has(c.key));
  return {
    declared,
    units,
    file,
    root: ctxRoot,
    services: new Set(resources.flatMap((c) => (declared.get(c.key)!.service ? [declared.get(c.key)!.service!] : []))),
    anyResource: resources.length > 0,
    unitWritten: resources.some((c) => c.type === "systemd_service" || c.type === "systemd_timer"),
  };
}

function upProblems(plan: Plan, u: UpContext): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  let rank = 0;
  for (const c of plan.changes) {
    if (seen.has(c.key)) out.push({ key: c.key, why: "appears twice" });
    seen.add(c.key);
    const why = upProblem(c, u);
    if (why) out.push({ key: c.key, why });
    const r = phaseRank(c);
    if (r < rank) out.push({ key: c.key, why: "is out of order (resources, reload, before-start commands, starts, after-start commands)" });
    rank = Math.max(rank, r);
  }
  return out;
}

/** A derived step or command, built from the declarations (the saved change only contributes its reason text). */
function buildDerived(c: Change, u: UpContext): Change {
  if (c.type === "systemd") return { key: c.key, type: "systemd", id: "daemon-reload", action: "run", reason: "unit files changed" };
  if (c.type === "service_state") {
    const unit = u.units.get(c.id)!;
    const op = (c.after as { op: "start" | "restart" }).op;
    return { key: c.key, type: "service_state", id: unit.name, action: "run", reason: c.reason, source: formatLoc(unit.source), ...(unit.service ? { service: unit.service } : {}), after: { op, unit: unit.name } };
  }
  const cmd = u.declared.get(c.key) as Command;
  // Secret references (never values) of the env files the command loads: the applier scrubs their values.
  const secrets = [...u.declared.values()].flatMap((e) => (e.type === "env_file" && cmd.env.includes(e.path) ? Object.values(e.secret) : []));
  return {
    key: c.key,
    type: "command",
    id: cmd.id,
    action: "run",
    reason: c.reason,
    source: formatLoc(cmd.source),
    ...(cmd.service ? { service: cmd.service } : {}),
    after: { exec: cmd.exec, phase: cmd.phase, ...(secrets.length ? { secrets } : {}) },
    down: Array.isArray(cmd.down) ? { exec: cmd.down } : cmd.down,
    resource: cmd,
  };
}

/**
 * Read the host for the plan's resource changes and rebuild the plan from the declared resources.
 * Stale (a basis differs) and tampered (same facts, different change) are refused differently.
 */
async function rebuildUp(saved: SavedPlan, u: UpContext, runner: Runner, ctx: TargetCtx, targetName: string): Promise<Plan> {
  const { plan, path } = saved;
  const resourceChanges = plan.changes.filter((c) => !DERIVED.has(c.type));
  const { observed } = await probeAll(resourceChanges.map((c) => u.declared.get(c.key)!), runner, ctx);
  const rebuilt = diffObserved(observed);
  const stale = resourceChanges.filter((c, i) => c.basis !== rebuilt[i]!.basis);
  if (stale.length) {
    throw new HostKitError({ subject: `plan ${path}`, message: `is stale: ${stale.length} resource(s) changed on ${targetName} since it was made:\n${stale.map((c) => `  ${c.key}`).join("\n")}`, hint: "make a new plan" });
  }
  const problems: Problem[] = [];
  const byKey = new Map(rebuilt.map((c) => [c.key, c]));
  for (const [i, c] of resourceChanges.entries()) {
    const r = rebuilt[i]!;
    const fields = (["action", "reason", "before", "after"] as const).filter((f) => !same(c[f], r[f]));
    if (fields.length) problems.push({ key: c.key, why: `its ${fields.join(", ")} ${fields.length > 1 ? "are" : "is"} not what the declaration gives against the target as it is (${r.action}: ${r.reason})` });
  }
  if (problems.length) refuse(path, problems, `its changes are not what ${u.file} declares for ${targetName}`, "make a new plan with hostkit plan --out");
  return { ...plan, changes: plan.changes.map((c) => (DERIVED.has(c.type) ? buildDerived(c, u) : byKey.get(c.key)!)) };
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
        return plan;
      },
    };
  }
  if (problems.length && !o.project) refuse(path, problems, "it cannot be checked", "pass the infra FILE the plan was made from");
  const file = o.file ?? "the infra file";
  const u = upContext(plan, o.project!, file, o.target.transport === "root");
  problems.push(...upProblems(plan, u));
  if (problems.length) refuse(path, problems, `it is not what ${file} declares`, "make a new plan with hostkit plan --out");
  return { plan, check: (runner, ctx) => rebuildUp(o.saved, u, runner, ctx, o.target.name) };
}
