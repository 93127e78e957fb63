/**
 * The systemd handler steps (see src/plan/handlers.ts): `systemd:daemon-reload` and
 * `service_state:<unit>` (start, restart, reload, stop). Offline roots run none of them.
 */
import type { StepKind } from "../model/kind.ts";

export const SYSTEMD_STEPS: StepKind[] = [
  {
    type: "systemd",
    ops: (_c, ctx) => [{ label: "systemctl daemon-reload", argv: ["systemctl", "daemon-reload"], ...(ctx.root ? { skip: "offline root" } : {}) }],
  },
  {
    type: "service_state",
    ops(change, ctx) {
      const { op, unit } = change.after as { op: "start" | "restart" | "reload" | "stop"; unit: string };
      return [{ label: `${op} ${unit}`, argv: ["systemctl", op, "--", unit], ...(ctx.root ? { skip: "offline root: units are enabled, not started" } : {}) }];
    },
  },
];
