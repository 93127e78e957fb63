/**
 * The systemd handler steps (see src/plan/handlers.ts): `systemd:daemon-reload` and
 * `service_state:<unit>` (start, restart, reload, stop). Offline roots run none of them.
 */
import type { StepKind } from "../model/kind.ts";
import type { Change } from "../model/plan.ts";

/** The step types: `systemd:daemon-reload` and `service_state:<unit>`. */
export const DAEMON_RELOAD = "systemd";
export const SERVICE_STATE = "service_state";

export function daemonReload(reason: string): Change {
  return { key: `${DAEMON_RELOAD}:daemon-reload`, type: DAEMON_RELOAD, id: "daemon-reload", action: "run", reason };
}

export function serviceState(unit: string, op: "start" | "restart" | "reload" | "stop", reason: string, from: { source?: string; service?: string }): Change {
  return { key: `${SERVICE_STATE}:${unit}`, type: SERVICE_STATE, id: unit, action: "run", reason, ...(from.source ? { source: from.source } : {}), ...(from.service ? { service: from.service } : {}), after: { op, unit } };
}

export const SYSTEMD_STEPS: StepKind[] = [
  {
    type: DAEMON_RELOAD,
    ops: (_c, ctx) => [{ label: "systemctl daemon-reload", argv: ["systemctl", "daemon-reload"], ...(ctx.root ? { skip: "offline root" } : {}) }],
  },
  {
    type: SERVICE_STATE,
    ops(change, ctx) {
      const { op, unit } = change.after as { op: "start" | "restart" | "reload" | "stop"; unit: string };
      return [{ label: `${op} ${unit}`, argv: ["systemctl", op, "--", unit], ...(ctx.root ? { skip: "offline root: units are enabled, not started" } : {}) }];
    },
  },
];
