/**
 * The systemd handler steps (see src/plan/handlers.ts): `systemd:daemon-reload` and
 * `service_state:<unit>` (start, restart, reload, stop). Offline roots run none of them.
 *
 * A reload that fails leaves the service running its OLD configuration while the files on disk are
 * the new ones, so the next plan would find every file matching and say "No changes". The reload op
 * therefore leaves a marker on the host (`/var/lib/hostkit/pending-reload/<unit>`, root-only) when it
 * fails and removes it when a reload or restart succeeds; the planner reads the markers in its one
 * probe round trip and plans the reload again until one succeeds.
 */
import { defineFact, type ProbeOutput, type StepKind } from "../model/kind.ts";
import type { Change } from "../model/plan.ts";
import { text } from "../targets/runner.ts";

export const PENDING_RELOAD_DIR = "/var/lib/hostkit/pending-reload";

/** systemctl OP UNIT; a failed reload leaves the marker, a successful reload or restart clears it. Args: OP UNIT. */
const SERVICE_OP = `op=$1 u=$2 d=${PENDING_RELOAD_DIR}
systemctl "$op" -- "$u" && { rm -f -- "$d/$u"; exit 0; }
rc=$?
if [ "$op" = reload ]; then mkdir -p -m 0700 -- "$d" && date -u +%Y-%m-%dT%H:%M:%SZ > "$d/$u"; fi
exit $rc`;

/** Unit names a marker may carry (anything else in the directory is ignored). */
const UNIT_FILE_NAME = /^[A-Za-z0-9:_.@\\-]+\.(service|socket|target|mount|timer|path)$/;

/** The units whose last reload failed (unit → when), read on live hosts only. */
export const pendingReloadsFact = defineFact<Map<string, string>>({
  name: "systemd.pending-reloads",
  probe: (ctx) => (ctx.root ? [] : [["sh", "-c", 'cd "$1" 2>/dev/null || exit 0; for f in *; do [ -f "$f" ] && printf "%s\\t%s\\n" "$f" "$(head -c 40 -- "$f")"; done; exit 0', "hostkit-pending", PENDING_RELOAD_DIR]]),
  parse(out: ProbeOutput[]) {
    const m = new Map<string, string>();
    for (const line of out[0]?.code === 0 ? text(out[0].stdout).split("\n") : []) {
      const [unit, when] = line.split("\t");
      if (unit && UNIT_FILE_NAME.test(unit)) m.set(unit, (when ?? "").trim());
    }
    return m;
  },
});

/**
 * Reloads to plan again: a pending unit with no start/restart/reload step in this plan already, and not
 * deleted by it (the delete forgets the marker).
 */
export function pendingReloadSteps(pending: ReadonlyMap<string, string>, steps: readonly Change[], deleted: ReadonlySet<string> = new Set()): Change[] {
  const planned = new Set(steps.filter((c) => c.type === SERVICE_STATE).map((c) => c.id));
  return [...pending].filter(([unit]) => !planned.has(unit) && !deleted.has(unit)).map(([unit, when]) => serviceState(unit, "reload", `reload again: its last reload failed${when ? ` (${when})` : ""}, so it may still run its old configuration`, {}));
}

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
      const argv = op === "reload" || op === "restart" ? ["sh", "-c", SERVICE_OP, "hostkit-systemctl", op, unit] : ["systemctl", op, "--", unit];
      return [{ label: `${op} ${unit}`, argv, ...(ctx.root ? { skip: "offline root: units are enabled, not started" } : {}) }];
    },
  },
];
