/** The argv ops of any plan change: a kind's own, or the derived steps (reload, start/restart). */
import type { Change } from "../model/plan.ts";
import { kindOf } from "../kinds/index.ts";
import type { Op, TargetCtx } from "../kinds/types.ts";

export function opsFor(change: Change, ctx: TargetCtx): Op[] {
  if (change.action === "noop") return [];
  if (change.type === "systemd" && change.id === "daemon-reload") {
    return [{ label: "systemctl daemon-reload", argv: ["systemctl", "daemon-reload"], ...(ctx.root ? { skip: "offline root" } : {}) }];
  }
  if (change.type === "service_state") {
    const { op, unit } = change.after as { op: "start" | "restart" | "stop"; unit: string };
    return [{ label: `${op} ${unit}`, argv: ["systemctl", op, "--", unit], ...(ctx.root ? { skip: "offline root: units are enabled, not started" } : {}) }];
  }
  const kind = kindOf(change.type);
  if (!kind) throw new Error(`no kind for ${change.type}`);
  return kind.ops(change, ctx);
}
