/** The argv ops of any plan change: its kind's own, or a derived step's (reload, start/restart). */
import type { Change } from "../model/plan.ts";
import { kindOf, stepOf } from "../kinds/registry.ts";
import type { Op, TargetCtx } from "../model/kind.ts";

export function opsFor(change: Change, ctx: TargetCtx): Op[] {
  if (change.action === "noop") return [];
  const kind = kindOf(change.type) ?? stepOf(change.type);
  if (!kind) throw new Error(`no kind for ${change.type}`);
  return kind.ops(change, ctx);
}
