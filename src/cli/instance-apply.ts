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

export interface PairIo {
  show(plan: Plan): void;
  /** Dry run: print what would run for this plan. */
  dryRun?: (plan: Plan, ctx: TargetCtx) => void;
  confirm(): Promise<void>;
  run(plan: Plan, runner: Runner, ctx: TargetCtx): Promise<RunOutcome>;
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
