/**
 * The state an applied change leaves a resource in, reduced to what a re-read of the host can
 * confirm. A down plan's changes carry the digest of that state as their basis, so applying a down
 * plan refuses it when the host no longer looks the way the up plan left it (someone changed it
 * since). The same projection is computed from the probe's facts when the down plan is applied.
 *
 * Only stable, declared properties take part: content hashes, owner, group, mode, enablement and the
 * non-secret `set` entries of env files; never sizes (env files hold secrets, directories vary),
 * never whether a unit is active right now.
 */
import type { Change, Plan } from "../model/plan.ts";
import type { Resource } from "../model/resource.ts";
import type { TargetCtx } from "../model/kind.ts";
import { kindOf } from "../kinds/registry.ts";
import type { Runner } from "../targets/runner.ts";
import { digest } from "./digest.ts";
import { probeAll } from "./probe.ts";

type Rec = Record<string, unknown>;

/** The settled state after `change` was applied (from its `after`), or undefined when nothing can be confirmed. */
export function settledState(change: Pick<Change, "type" | "action" | "after">): Rec | undefined {
  return kindOf(change.type)?.down.settled(change);
}

/** The same projection, from a fact the probe read. */
export function observedState(type: string, fact: unknown): Rec | undefined {
  return kindOf(type)?.down.observed(fact);
}

export function stateBasis(key: string, state: Rec): string {
  return digest({ key, settled: state });
}

/** The resource to probe for a down change: its kind may read it differently (env files: the keys the up plan set). */
function probeResource(c: Change): Resource {
  const own = kindOf(c.type)?.down.probeResource;
  return (own ? own(c) : c.resource) as Resource;
}

/** Re-read the host and list the down plan's changes whose resource is no longer as the up plan left it. */
export async function findDownDrift(plan: Plan, runner: Runner, ctx: TargetCtx): Promise<{ key: string; reason: string }[]> {
  const checked = plan.changes.filter((c) => c.resource && c.basis && c.action !== "noop");
  if (!checked.length) return [];
  const { observed } = await probeAll(checked.map(probeResource), runner, ctx);
  const drift: { key: string; reason: string }[] = [];
  for (const [i, c] of checked.entries()) {
    const state = observedState(c.type, observed[i]!.fact);
    if (!state || stateBasis(c.key, state) !== c.basis) {
      drift.push({ key: c.key, reason: `is no longer as ${plan.from?.run ? `run ${plan.from.run}` : "the up plan"} left it` });
    }
  }
  return drift;
}
