/** Refusing a stale plan: re-read the host and compare each change's basis with what it is now. */
import type { Plan } from "../model/plan.ts";
import type { Resource } from "../model/resource.ts";
import type { TargetCtx } from "../model/kind.ts";
import type { Runner } from "../targets/runner.ts";
import { probeAll } from "../plan/probe.ts";
import { findDownDrift } from "../plan/down-state.ts";

export interface Drift {
  key: string;
  reason: string;
}

export async function findDrift(plan: Plan, runner: Runner, ctx: TargetCtx): Promise<Drift[]> {
  // A down plan is checked against the state its up plan left (see plan/down-state.ts).
  if (plan.direction === "down") return findDownDrift(plan, runner, ctx);
  const withBasis = plan.changes.filter((c) => c.resource && c.basis);
  const { observed } = await probeAll(withBasis.map((c) => c.resource as Resource), runner, ctx);
  const drift: Drift[] = [];
  for (const [i, c] of withBasis.entries()) {
    if (observed[i]!.basis !== c.basis) drift.push({ key: c.key, reason: "changed on the target since the plan was made" });
  }
  return drift;
}
