/**
 * Changes a run may or may not have applied: the applier records a change "started" before its ops
 * run, so when the run ends abnormally (kill -9, a second Ctrl-C, a lost controller) the write may
 * have landed with the record still saying "started" (read as "unknown"). A down plan re-reads such
 * changes on the host and reverses them when the host shows the state their up change leaves, and
 * says so; otherwise it says they did not land (or landed only partly) and leaves them.
 */
import type { CompiledProject } from "../compile/index.ts";
import type { Plan, TargetInfo } from "../model/plan.ts";
import type { Resource } from "../model/resource.ts";
import type { RunRecord } from "../artifacts/runs.ts";
import { targetsOfPlan, type TargetFlags, type TargetSpec } from "../targets/resolve.ts";
import { observedState, settledState } from "./down-state.ts";
import { stableStringify } from "./digest.ts";
import { probeAll } from "./probe.ts";

export const UNSETTLED = new Set(["started", "unknown"]);

export function hasUnsettled(record: RunRecord): boolean {
  return record.changes.some((c) => UNSETTLED.has(c.status));
}

/** The target a recorded run (or a saved plan) names, unless flags choose one. */
export function targetOf(t: TargetInfo, project: CompiledProject | undefined, flags: TargetFlags): TargetSpec {
  return targetsOfPlan(t, project, flags)[0]!;
}

export interface Settled {
  /** Per-change statuses for `down()`: unknown changes the host shows applied become "applied". */
  results: { key: string; status: string }[];
  /** What was found, one line per unknown change (added to the down plan's warnings). */
  notes: string[];
}

/** Re-read the host for the run's unknown changes and decide which landed. */
export async function settleUnknown(up: Plan, record: RunRecord, target: TargetSpec): Promise<Settled> {
  const byKey = new Map(up.changes.map((c) => [c.key, c]));
  const unknown = record.changes.filter((c) => UNSETTLED.has(c.status));
  const probed = unknown.map((c) => byKey.get(c.key)).filter((c) => c?.resource && settledState(c) !== undefined);
  const landed = new Set<string>();
  const notes: string[] = [];
  const runner = await target.open();
  try {
    const { observed } = probed.length ? await probeAll(probed.map((c) => c!.resource as Resource), runner, target.ctx) : { observed: [] };
    for (const [i, c] of probed.entries()) {
      const want = settledState(c!)!;
      const seen = observedState(c!.type, observed[i]!.fact);
      if (stableStringify(seen) === stableStringify(want)) {
        landed.add(c!.key);
        notes.push(`${c!.key}: run ${record.id} ended while applying it (recorded "unknown"); the host shows its applied state, so this down plan reverses it`);
      } else notes.push(`${c!.key}: run ${record.id} ended while applying it (recorded "unknown"); the host does not show its applied state, so it is not reversed (hostkit plan shows its state)`);
    }
  } finally {
    await runner.close();
  }
  for (const c of unknown) {
    if (!probed.some((p) => p!.key === c.key)) notes.push(`${c.key}: run ${record.id} ended while applying it (recorded "unknown"); it cannot be re-read, so it is not reversed`);
  }
  return { results: record.changes.map((c) => ({ key: c.key, status: landed.has(c.key) ? "applied" : UNSETTLED.has(c.status) ? "unknown" : c.status })), notes };
}
