/**
 * Which changes the applier may run as one batch: consecutive changes (the plan order is already a
 * topological sort) of ONE kind that has `opsBatch`, none of which requires another in the same run.
 * And how a batch's op results map back to per-change outcomes.
 */
import type { Change } from "../model/plan.ts";
import type { BatchOp, TargetCtx } from "../model/kind.ts";
import { kindOf } from "../kinds/registry.ts";

/** Upper bound of changes per batch (each batch op also bounds its own size). */
const MAX_RUN = 5000;

/** The end (exclusive) of the batchable run starting at `from`: `from + 1` when there is none. */
export function runEnd(todo: readonly Change[], from: number): number {
  const first = todo[from]!;
  const kind = kindOf(first.type);
  if (!kind?.opsBatch) return from + 1;
  const keys = new Set([first.key]);
  let end = from + 1;
  while (end < todo.length && end - from < MAX_RUN) {
    const c = todo[end]!;
    if (c.type !== first.type || !c.resource || (c.resource.requires ?? []).some((k) => keys.has(k))) break;
    keys.add(c.key);
    end++;
  }
  return end;
}

/** The batch ops of a run, or undefined when its kind declines (then the changes run one by one). */
export function batchOps(run: readonly Change[], ctx: TargetCtx): BatchOp[] | undefined {
  if (run.length < 2 || run.some((c) => !c.resource)) return undefined;
  const kind = kindOf(run[0]!.type);
  return kind?.opsBatch?.([...run], ctx);
}

export interface BatchProgress {
  /** Per change: how many of the ops covering it have completed it. */
  done: number[];
  /** Per change: how many ops cover it. */
  needed: number[];
}

export function progressOf(size: number, ops: readonly BatchOp[]): BatchProgress {
  const needed = new Array<number>(size).fill(0);
  for (const op of ops) for (const i of op.covers) needed[i]!++;
  return { done: new Array<number>(size).fill(0), needed };
}
