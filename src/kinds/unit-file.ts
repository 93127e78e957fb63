/**
 * `systemd_service` and `systemd_timer`: the unit file under /etc/systemd/system and whether it is
 * enabled (and, on live hosts, active). Reloads, starts and restarts are planned by the planner,
 * which sees every change at once.
 */
import type { SystemdService, SystemdTimer } from "../model/resource.ts";
import { renderUnit } from "../render/systemd.ts";
import { text } from "../targets/runner.ts";
import { sha256, writeOp } from "./file.ts";
import { backupPayload, onTarget, type Kind, type Op, type TargetCtx } from "./types.ts";

export const UNIT_DIR = "/etc/systemd/system";

export interface UnitFact {
  exists: boolean;
  content?: string;
  sha256?: string;
  /** `systemctl is-enabled`: enabled, disabled, static, not-found… */
  enabled: string;
  /** `systemctl is-active` on live hosts; "unknown" offline. */
  active: string;
}

type Unit = SystemdService | SystemdTimer;

function systemctl(ctx: TargetCtx, ...args: string[]): string[] {
  return ctx.root ? ["systemctl", `--root=${ctx.root}`, ...args] : ["systemctl", ...args];
}

function firstWord(out: { stdout: Uint8Array } | undefined): string {
  return (out ? text(out.stdout).trim().split("\n")[0] : "") || "unknown";
}

function unitKind<R extends Unit>(type: R["type"]): Kind<R, UnitFact> {
  return {
    type,
    probe: (r, ctx) => {
      const cmds = [["cat", "--", onTarget(ctx, `${UNIT_DIR}/${r.name}`)], systemctl(ctx, "is-enabled", "--", r.name)];
      if (!ctx.root) cmds.push(["systemctl", "is-active", "--", r.name]);
      return cmds;
    },
    parse(_r, out) {
      const exists = out[0]?.code === 0;
      const content = exists ? text(out[0]!.stdout) : undefined;
      return {
        exists,
        ...(content !== undefined ? { content, sha256: sha256(content) } : {}),
        enabled: firstWord(out[1]),
        active: out[2] ? firstWord(out[2]) : "unknown",
      };
    },
    diff(r, f) {
      const content = renderUnit(r.sections);
      const after = { content, sha256: sha256(content), enabled: r.enable ? "enabled" : "disabled" };
      const before = f.exists ? { exists: true, content: f.content, sha256: f.sha256, enabled: f.enabled, active: f.active } : { exists: false, enabled: f.enabled };
      if (!f.exists) return { action: "create", reason: "unit file does not exist", before, after };
      const why: string[] = [];
      if (f.content !== content) why.push("unit file differs");
      if (r.enable && f.enabled !== "enabled") why.push(`not enabled (${f.enabled})`);
      if (!r.enable && f.enabled === "enabled") why.push("enabled but declared disabled");
      return why.length ? { action: "update", reason: why.join(", "), before, after } : { action: "noop", reason: "unit matches", before, after };
    },
    ops(change, ctx) {
      const r = change.resource as Unit;
      const path = onTarget(ctx, `${UNIT_DIR}/${r.name}`);
      if (change.action === "delete") {
        return [
          { label: `disable ${r.name}`, argv: ctx.root ? systemctl(ctx, "disable", "--", r.name) : ["systemctl", "disable", "--now", "--", r.name] },
          { label: `remove unit file ${r.name}`, argv: ["rm", "-f", "--", path] },
        ];
      }
      const before = change.before as { content?: string; enabled?: string } | undefined;
      const after = change.after as { content: string | { $backup: unknown }; enabled: string };
      const ops: Op[] = [];
      if (before?.content !== after.content) ops.push(writeOp(`write unit ${r.name}`, path, backupPayload(after.content) ?? { text: after.content as string }, { mode: 0o644, owner: "root", group: "root" }, ctx.root));
      if (after.enabled === "enabled" && before?.enabled !== "enabled") ops.push({ label: `enable ${r.name}`, argv: systemctl(ctx, "enable", "--", r.name) });
      if (after.enabled === "disabled" && before?.enabled === "enabled") ops.push({ label: `disable ${r.name}`, argv: systemctl(ctx, "disable", "--", r.name) });
      return ops;
    },
  };
}

export const systemdService = unitKind<SystemdService>("systemd_service");
export const systemdTimer = unitKind<SystemdTimer>("systemd_timer");
