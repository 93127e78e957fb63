/**
 * @internal `hostkit apply --instance NAME` (or `--host NESTED`): show the instance's plan and its
 * nested host's, confirm once, apply the instance on this machine, then plan the nested host again
 * now that it answers (when it could not be read before) and apply it, in the same command. Each
 * part is an ordinary run (own target, lock, record); the caller's `run` carries the apply options.
 */
import { hasChanges, type Plan } from "../model/plan.ts";
import type { TargetCtx } from "../model/kind.ts";
import type { CompiledProject } from "../compile/index.ts";
import type { Runner } from "../targets/runner.ts";
import type { TargetSpec } from "../targets/resolve.ts";
import type { RunOutcome } from "../apply/rollback.ts";
import { planNested, planPair } from "../instances/orchestrate.ts";
import type { VerifiedPlan } from "../apply/integrity.ts";
import type { VerifiedNested } from "../apply/integrity-nested.ts";

export interface PairIo {
  show(plan: Plan): void;
  /** Dry run: print what would run for this plan. */
  dryRun?: (plan: Plan, ctx: TargetCtx) => void;
  confirm(): Promise<void>;
  /** `underLock`: checks made again while the host lock is held (saved plans). */
  run(plan: Plan, runner: Runner, ctx: TargetCtx, underLock?: () => Promise<void>): Promise<RunOutcome>;
  note(line: string): void;
}

export async function applyPair(t: TargetSpec, project: CompiledProject, ignore: readonly string[], io: PairIo): Promise<RunOutcome | undefined> {
  const pair = t.pair!;
  const plans = await planPair(t, project, ignore);
  io.show(plans.controller);
  if (plans.nested) io.show(plans.nested);
  if (!hasChanges(plans.controller) && !(plans.nested && hasChanges(plans.nested))) return undefined;
  if (io.dryRun) {
    io.dryRun(plans.controller, pair.controller.ctx);
    if (plans.nested && !plans.nestedPreview) io.dryRun(plans.nested, pair.nested!.ctx);
    else if (plans.nested) io.note(`the commands for ${pair.nested!.info.name} are decided once it answers`);
    return undefined;
  }
  await io.confirm();
  let last: RunOutcome | undefined;
  if (hasChanges(plans.controller)) {
    const runner = await pair.controller.open();
    try {
      last = await io.run(plans.controller, runner, pair.controller.ctx);
    } finally {
      await runner.close();
    }
    if (last.status !== "ok") {
      io.note(`instance ${pair.instance}: not finished; what was applied stays (hostkit plan --instance ${pair.instance} shows it): fix the declaration and apply again${pair.nested ? `; nothing was applied on ${pair.nested.info.name}` : ""}`);
      return last;
    }
    io.note(`instance ${pair.instance}: applied (run ${last.runId})`);
  }
  if (!pair.nested) return last;
  const runner = await pair.nested.open();
  try {
    let nested = plans.nested!;
    if (plans.nestedPreview) {
      nested = await planNested(pair.nested, project, ignore, runner);
      io.note(`${pair.nested.info.name} answers now; its contents, planned against it:`);
      io.show(nested);
    }
    if (!hasChanges(nested)) return last;
    return await io.run(nested, runner, pair.nested.ctx);
  } finally {
    await runner.close();
  }
}

/**
 * `hostkit apply --plan PLAN` of a saved instance plan (integrity-nested.ts): before anything runs the
 * instance is read (stale?) and, when the plan read the guest, the guest too; then the instance's
 * changes are applied (checked again under its lock), then the guest's: the saved plan rebuilt
 * against it (again under its lock), or, for a preview, its contents planned now that it answers,
 * limited to what the preview lists.
 */
export async function applySavedPair(t: TargetSpec, project: CompiledProject, verified: VerifiedPlan, nested: VerifiedNested, io: PairIo): Promise<RunOutcome | undefined> {
  const pair = t.pair!;
  const target = pair.nested!;
  const controller = await pair.controller.open();
  let last: RunOutcome | undefined;
  let guest: Runner | undefined;
  try {
    const plan = await verified.check(controller, pair.controller.ctx);
    let nestedPlan = nested.plan;
    if (nested.check) {
      guest = await target.open();
      nestedPlan = await nested.check(guest, target.ctx);
    }
    io.show(plan);
    io.show(nestedPlan);
    if (!hasChanges(plan) && !hasChanges(nestedPlan)) return undefined;
    if (io.dryRun) {
      io.dryRun(plan, pair.controller.ctx);
      if (!nested.preview) io.dryRun(nestedPlan, target.ctx);
      else io.note(`the commands for ${target.info.name} are decided once it answers`);
      return undefined;
    }
    await io.confirm();
    if (hasChanges(plan)) {
      last = await io.run(plan, controller, pair.controller.ctx, async () => void (await verified.check(controller, pair.controller.ctx)));
      if (last.status !== "ok") {
        io.note(`instance ${pair.instance}: not finished; what was applied stays; nothing was applied on ${target.info.name}`);
        return last;
      }
      io.note(`instance ${pair.instance}: applied (run ${last.runId})`);
    }
    if (nested.preview) {
      guest = await target.open();
      nestedPlan = nested.accept!(await planNested(target, project, nested.ignore ?? [], guest));
      io.note(`${target.info.name} answers now; its contents, planned against it (limited to what the saved plan lists):`);
      io.show(nestedPlan);
      if (!hasChanges(nestedPlan)) return last;
      return await io.run(nestedPlan, guest, target.ctx);
    }
    if (!hasChanges(nestedPlan)) return last;
    const g = guest!;
    return await io.run(nestedPlan, g, target.ctx, async () => void (await nested.check!(g, target.ctx)));
  } finally {
    await controller.close();
    await guest?.close();
  }
}
