/**
 * `systemd_service` and `systemd_timer`: the unit file under /etc/systemd/system and whether it is
 * enabled (and, on live hosts, active). Reloads, starts and restarts are planned by the planner,
 * which sees every change at once.
 */
import * as v from "valibot";
import { BASE, RollbackSchema } from "../model/resource.ts";
import { DaemonMonitorSchema } from "../model/monitor.ts";
import { backupRef, deleteCreated, sameKey, type Rec } from "./inverse.ts";
import { renderUnit } from "../render/systemd.ts";
import { text } from "../targets/runner.ts";
import { removeOp, sha256, writeOp } from "./file.ts";
import { SAFE_SYSTEMCTL } from "./scripts.ts";
import { PENDING_RELOAD_DIR } from "./systemd-steps.ts";
import { writeFilesOps, type WriteItem } from "./batch-ops.ts";
import { backupPayload, defineKind, onTarget, type InvertCtx, type Inverse, type BatchOp, type Kind, type Op, type Payload, type ProbeBatch, type TargetCtx , type KindChange } from "../model/kind.ts";
import { contentDiff, contentText } from "../plan/text-diff.ts";

/** One unit file section: ordered `[directive, value]` pairs (a directive may repeat). */
export const UnitSectionsSchema = v.record(v.string(), v.array(v.tuple([v.string(), v.string()])));

const Listener = v.strictObject({ name: v.string(), port: v.number(), on: v.string() });

export const SystemdServiceSchema = v.strictObject({
  ...BASE,
  type: v.literal("systemd_service"),
  name: v.string(),
  sections: UnitSectionsSchema,
  enable: v.boolean(),
  /** Keep it running: start when stopped, restart when its unit or inputs changed. */
  start: v.boolean(),
  listeners: v.array(Listener),
  /** Monitoring intent (model/monitor.ts): recorded, shown by dump, run by the monitoring service. */
  monitor: v.optional(DaemonMonitorSchema),
  /** Keys of resources whose change restarts this unit (env files, files it reads). */
  restartOn: v.array(v.string()),
  /** Keys of resources whose change reloads it (`notify: "reload"`); a restart covers a reload. */
  reloadOn: v.optional(v.array(v.string())),
  rollback: RollbackSchema,
});

export const SystemdTimerSchema = v.strictObject({
  ...BASE,
  type: v.literal("systemd_timer"),
  name: v.string(),
  sections: UnitSectionsSchema,
  enable: v.boolean(),
  start: v.boolean(),
  rollback: RollbackSchema,
});

export type UnitSections = v.InferOutput<typeof UnitSectionsSchema>;
export type SystemdService = v.InferOutput<typeof SystemdServiceSchema>;
export type SystemdTimer = v.InferOutput<typeof SystemdTimerSchema>;

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

/** systemctl that creates or removes enable links: offline, only after checking no unit directory is a link. */
/** What a create/update of a unit does: write its file (with this payload), enable it (with these flags), disable it. */
function unitWork(change: KindChange<Unit>, ctx: TargetCtx): { write?: Payload; enable?: string[]; disable?: boolean } {
  const before = change.before as { content?: string; enabled?: string } | undefined;
  const after = change.after as { content: string | { $backup: unknown }; enabled: string };
  const written = before?.content !== after.content;
  // A unit file written by this plan is followed by the plan's one daemon-reload, so enabling it need not
  // reload the manager itself (each reload costs ~150 ms; five new units would pay it five times).
  const noReload = written && !ctx.root ? ["--no-reload"] : [];
  return {
    ...(written ? { write: backupPayload(after.content) ?? { text: after.content as string } } : {}),
    ...(after.enabled === "enabled" && before?.enabled !== "enabled" ? { enable: noReload } : {}),
    ...(after.enabled === "disabled" && before?.enabled === "enabled" ? { disable: true } : {}),
  };
}

/**
 * `$1`: a unit being deleted. Forgets its pending reload (src/kinds/systemd-steps.ts: nothing is left to
 * reload) and clears its failed state (else `systemctl --failed` keeps listing it as "not-found failed"
 * once its file is gone); a unit that is not failed is left alone, since `reset-failed` of a unit
 * systemd has unloaded is an error ("not loaded").
 */
const RESET_IF_FAILED = `rm -f -- "${PENDING_RELOAD_DIR}/$1"; [ "$(systemctl is-failed -- "$1")" = failed ] || exit 0; exec systemctl reset-failed -- "$1"`;

function linkingSystemctl(ctx: TargetCtx, ...args: string[]): string[] {
  return ctx.root ? ["sh", "-c", SAFE_SYSTEMCTL, "hostkit-systemctl", ctx.root, ...args] : ["systemctl", ...args];
}

function firstWord(out: { stdout: Uint8Array } | undefined): string {
  return (out ? text(out.stdout).trim().split("\n")[0] : "") || "unknown";
}

/**
 * Many units' files in one command: args DIR UNIT…; prints the names of the unit files that exist (one
 * a line, argument order), a NUL, their sizes (`wc -c`, same order), a NUL, then their bytes
 * concatenated (`cat`). One `sh`, one `wc`, one `cat`, whatever the number of units.
 */
const UNIT_FILES = `cd -- "$1" 2>/dev/null || exit 0
shift
n=$#
for u do if [ -e "$u" ] && [ ! -d "$u" ]; then set -- "$@" "$u"; fi; done
shift "$n"
[ "$#" -gt 0 ] || exit 0
printf '%s\\n' "$@"
printf '\\0'
wc -c -- "$@"
printf '\\0'
exec cat -- "$@"
`;

/**
 * Many units' \`is-enabled\` states in (usually) ONE systemctl call: args ROOT UNIT…; prints "UNIT STATE" lines.
 * \`systemctl is-enabled a b c\` prints one line per unit but stops at the first unit it cannot find, so units
 * with no unit file in any unit directory are left out up front (they have no state), and if it still stops
 * early the unit it stopped at is skipped and the call resumes with the rest.
 */
const UNIT_ENABLED = `root=$1
shift
n=$#
for u do
  case $u in *@*) set -- "$@" "$u"; continue ;; esac
  for d in /etc/systemd/system /run/systemd/system /usr/local/lib/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
    if [ -e "$root$d/$u" ] || [ -L "$root$d/$u" ]; then set -- "$@" "$u"; break; fi
  done
done
shift "$n"
nl='
'
while [ "$#" -gt 0 ]; do
  if [ -n "$root" ]; then out=$(systemctl --root="$root" is-enabled -- "$@" 2>/dev/null); else out=$(systemctl is-enabled -- "$@" 2>/dev/null); fi
  while [ -n "$out" ] && [ "$#" -gt 0 ]; do
    case $out in *"$nl"*) line=\${out%%"$nl"*}; out=\${out#*"$nl"} ;; *) line=$out; out= ;; esac
    printf '%s %s\\n' "$1" "$line"
    shift
  done
  [ "$#" -eq 0 ] || shift
done
exit 0
`;

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();
const ok = (s: string) => ({ code: 0, stdout: enc.encode(s), stderr: EMPTY });
const fail = (why: string) => ({ code: 1, stdout: EMPTY, stderr: enc.encode(why) });

/** `probeBatch` for units: 3 commands (2 offline) for any number of units, split back into what `probe` prints. */
function unitProbeBatch<R extends Unit>(rs: R[], ctx: TargetCtx): ProbeBatch {
  const names = rs.map((r) => r.name);
  const unique = [...new Set(names)];
  const cmds = [
    ["sh", "-c", UNIT_FILES, "hostkit-units", onTarget(ctx, UNIT_DIR), ...unique],
    ["sh", "-c", UNIT_ENABLED, "hostkit-enabled", ctx.root ?? "", ...unique],
  ];
  if (!ctx.root) cmds.push(["systemctl", "is-active", "--", ...unique]);
  return {
    cmds,
    split(out) {
      const content = new Map<string, Uint8Array>();
      const raw = out[0]?.stdout ?? EMPTY;
      const nul1 = raw.indexOf(0);
      const nul2 = nul1 < 0 ? -1 : raw.indexOf(0, nul1 + 1);
      if (nul2 >= 0) {
        const existing = text(raw.subarray(0, nul1)).split("\n").filter(Boolean);
        // `wc -c` prints one "SIZE NAME" line per file in argument order (then a total): only the numbers are used.
        const sizes = text(raw.subarray(nul1 + 1, nul2)).split("\n").slice(0, existing.length).map((l) => Number(/^\s*(\d+)/.exec(l)?.[1] ?? NaN));
        const body = raw.subarray(nul2 + 1);
        // A file that changed between `wc` and `cat` leaves the lengths inconsistent: then no content is trusted.
        if (sizes.length === existing.length && !sizes.some(Number.isNaN) && sizes.reduce((a, n) => a + n, 0) === body.length) {
          let at = 0;
          existing.forEach((n, i) => content.set(n, body.subarray(at, (at += sizes[i]!))));
        }
      }
      const enabled = new Map<string, string>();
      for (const line of text(out[1]?.stdout ?? EMPTY).split("\n")) {
        const sp = line.indexOf(" ");
        if (sp > 0) enabled.set(line.slice(0, sp), line.slice(sp + 1));
      }
      const activeLines = out[2] ? text(out[2].stdout).split("\n").slice(0, unique.length) : [];
      const active = new Map(activeLines.length === unique.length ? unique.map((n, i) => [n, activeLines[i]!] as const) : []);
      return names.map((n) => {
        const c = content.get(n);
        const e = enabled.get(n);
        const per = [c ? { code: 0, stdout: c, stderr: EMPTY } : fail(`cat: ${n}: No such file or directory\n`), e ? ok(`${e}\n`) : fail(`Failed to get unit file state for ${n}\n`)];
        if (!ctx.root) {
          const a = active.get(n);
          per.push(a ? ok(`${a}\n`) : fail(""));
        }
        return per;
      });
    },
  };
}

function unitKind<R extends Unit>(type: R["type"], schema: Kind<R, UnitFact>["schema"]): Kind<R, UnitFact> {
  const kind: Kind<R, UnitFact> = defineKind<R, UnitFact>({
    type,
    schema,
    probe: (r, ctx) => {
      const cmds = [["cat", "--", onTarget(ctx, `${UNIT_DIR}/${r.name}`)], systemctl(ctx, "is-enabled", "--", r.name)];
      if (!ctx.root) cmds.push(["systemctl", "is-active", "--", r.name]);
      return cmds;
    },
    probeBatch: unitProbeBatch,
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
      const r = change.resource!;
      const path = `${UNIT_DIR}/${r.name}`;
      if (change.action === "delete") {
        return [
          { label: `disable ${r.name}`, argv: ctx.root ? linkingSystemctl(ctx, "disable", "--", r.name) : ["systemctl", "disable", "--now", "--", r.name] },
          // A failed unit stays listed as "not-found failed" after its file is gone, until reset-failed.
          ...(ctx.root ? [] : [{ label: `clear the failed state (and any pending reload) of ${r.name}`, argv: ["sh", "-c", RESET_IF_FAILED, "hostkit-reset-failed", r.name] }]),
          removeOp(`remove unit file ${r.name}`, path, "file", {}, ctx.root),
        ];
      }
      const w = unitWork(change, ctx);
      const ops: Op[] = [];
      if (w.write) ops.push(writeOp(`write unit ${r.name}`, path, w.write, { mode: 0o644, owner: "root", group: "root" }, ctx.root));
      if (w.enable) ops.push({ label: `enable ${r.name}`, argv: linkingSystemctl(ctx, "enable", ...w.enable, "--", r.name) });
      if (w.disable) ops.push({ label: `disable ${r.name}`, argv: linkingSystemctl(ctx, "disable", "--", r.name) });
      return ops;
    },
    /** Unit files written by one WRITE_FILES run, then ONE `systemctl enable` for every unit to enable (and one disable). */
    opsBatch(changes, ctx): BatchOp[] {
      const writes: WriteItem[] = [];
      const enable = new Map<string, number[]>();
      const disable: number[] = [];
      const rest: BatchOp[] = [];
      changes.forEach((c, index) => {
        const r = c.resource!;
        if (c.action === "delete") return rest.push(...kind.ops(c, ctx).map((o) => ({ ...o, covers: [index] })));
        const w = unitWork(c, ctx);
        if (w.write) writes.push({ index, label: `write unit ${r.name}`, path: `${UNIT_DIR}/${r.name}`, payload: w.write, mode: 0o644, owner: "root", group: "root" });
        if (w.enable) enable.set(w.enable.join(" "), [...(enable.get(w.enable.join(" ")) ?? []), index]);
        if (w.disable) disable.push(index);
      });
      const names = (ix: number[]) => ix.map((i) => changes[i]!.resource!.name);
      const linking: BatchOp[] = [...enable].map(([flags, ix]) => ({ label: `enable ${ix.length} unit${ix.length === 1 ? "" : "s"}`, argv: linkingSystemctl(ctx, "enable", ...(flags ? flags.split(" ") : []), "--", ...names(ix)), covers: ix }));
      if (disable.length) linking.push({ label: `disable ${disable.length} unit${disable.length === 1 ? "" : "s"}`, argv: linkingSystemctl(ctx, "disable", "--", ...names(disable)), covers: disable });
      return [...writeFilesOps(writes, ctx.root), ...linking, ...rest];
    },
    down: {
      invert: invertUnit,
      settled: (c) => (c.action === "delete" ? { exists: false } : c.action === "create" || c.action === "update" ? { exists: true, sha256: (c.after)?.sha256, enabled: (c.after)?.enabled === "enabled" } : undefined),
      observed: (f) => (f.exists ? { exists: true, sha256: f.sha256, enabled: f.enabled === "enabled" } : { exists: false }),
    },
    writes: (r) => ({ path: `${UNIT_DIR}/${r.name}`, owner: "root", trust: false }),
    contentPath: (r) => `${UNIT_DIR}/${r.name}`,
    formatDiff: (c, paint) => (c.action === "delete" || c.action === "run" ? [] : contentDiff(c.before, contentText(c.after), c.after?.sha256, paint)),
    render: (r) => renderUnit(r.sections),
    describe: (r) => `${r.enable ? "enabled" : "disabled"}${"monitor" in r && r.monitor ? `  monitored (${r.monitor.severity ?? "warning"})` : ""}`,
    triggers: releaseChanged,
    needs: (r) => unitNames(r.sections),
    listens: (r) => (r.type === "systemd_service" ? r.listeners : []),
    ...(type === "systemd_timer" ? { check: CALENDAR_CHECK as Kind<R, UnitFact>["check"] } : {}),
    unit: (r) => ({ name: r.name, start: r.start, restartOn: r.type === "systemd_service" ? r.restartOn : [], reloadOn: r.type === "systemd_service" ? (r.reloadOn ?? []) : [] }),
  });
  return kind;
}

/** User= and Group= of a unit's [Service] (none with DynamicUser=, where systemd makes them up). */
function unitNames(sections: UnitSections): { users: string[]; groups: string[] } {
  const service = sections.Service ?? [];
  const value = (d: string) => service.filter(([k]) => k === d).map(([, v]) => v);
  if (value("DynamicUser").some((v) => /^(yes|true|1|on)$/i.test(v))) return { users: [], groups: [] };
  return { users: value("User"), groups: value("Group") };
}

/**
 * A timer's calendar specs, checked at plan time by the target's own systemd (\`systemd-analyze calendar\`,
 * all specs of all timers in one call, in the probe's round trip): a spec it cannot parse would be written
 * and enabled, and the timer would never fire. Where systemd-analyze is missing (an offline root on a
 * controller without systemd) the specs keep only the load-time checks.
 */
const CALENDAR_CHECK: NonNullable<Kind<SystemdTimer, UnitFact>["check"]> = {
  probe(rs) {
    const specs = [...new Set(rs.flatMap(calendarSpecs))];
    return specs.length ? [["systemd-analyze", "calendar", "--", ...specs]] : [];
  },
  problems(r, _f, env) {
    const out = env.out[0];
    if (!out || out.code === 0 || out.code === 127) return [];
    const lines = text(out.stderr).split("\n");
    return calendarSpecs(r).flatMap((spec) => {
      const line = lines.find((l) => l.includes(`calendar specification '${spec}': `));
      return line ? [`OnCalendar=${spec}: the target's systemd cannot parse it (systemd-analyze calendar: ${line.slice(line.indexOf(`'${spec}': `) + spec.length + 4)})`] : [];
    });
  },
};

function calendarSpecs(r: SystemdTimer): string[] {
  return (r.sections.Timer ?? []).filter(([k]) => k === "OnCalendar").map(([, v]) => v);
}

/** The directives that say what a unit runs (its release), as opposed to how (restartSec, limits…). */
const RELEASE = /^(ExecStart|ExecStartPre|ExecStartPost|ExecReload|WorkingDirectory|EnvironmentFile|Environment)=/;

function releaseLines(content: unknown): string {
  return typeof content === "string" ? content.split("\n").filter((l) => RELEASE.test(l)).join("\n") : "";
}

/** A new or deleted unit, or one whose release directives changed. */
function releaseChanged(c: KindChange<Unit>): boolean {
  if (c.action === "create" || c.action === "delete") return true;
  if (c.action !== "update") return false;
  return releaseLines(c.before?.content) !== releaseLines(c.after?.content);
}

export const systemdService = unitKind<SystemdService>("systemd_service", SystemdServiceSchema);
export const systemdTimer = unitKind<SystemdTimer>("systemd_timer", SystemdTimerSchema);

function invertUnit(c: KindChange<Unit>, ctx: InvertCtx): Inverse {
  const r = c.resource!;
  const b = (c.before ?? {});
  const a = (c.after ?? {});
  const backup = ctx.backups[c.key];
  if (c.action === "create") return deleteCreated(c, r, a, { exists: false, enabled: "not-found" });
  if (b.content === undefined && !backup) return { warning: `${c.key}: its previous unit file was not captured; not restored` };
  const enabled = b.enabled === "enabled";
  const after: Rec = { content: backup ? backupRef(backup) : b.content, sha256: backup?.sha256 ?? b.sha256, enabled: enabled ? "enabled" : "disabled" };
  const what = [...(a.sha256 !== after.sha256 ? ["unit file"] : []), ...(a.enabled !== after.enabled ? [after.enabled as string] : [])].join(", ") || "unit";
  const action = c.action === "delete" ? "create" : "update";
  const reason = `${action === "create" ? "recreate the deleted unit" : `restore previous ${what}`}${backup ? ` from the backup of run ${backup.run}` : ""}`;
  return { change: { ...sameKey(c), action, reason, before: action === "create" ? { exists: false } : { exists: true, ...a }, after, resource: { ...r, enable: enabled } } };
}
