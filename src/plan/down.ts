/**
 * Down plans: the inverse of an applied up plan, derived from its changes' before/after alone. Pure.
 *
 * - Changes come back in reverse order: command downs first (newest first), then resources.
 * - Created file-like resources are deleted; updated ones get their `before` state back; deleted
 *   ones are recreated. Directories, accounts and packages follow their rollback policy (kept by
 *   default; directories go with `delete_if_created`).
 * - A command's `down` argv becomes an ordinary command change; `noop` is left out; `irreversible`
 *   is left out with a warning.
 * - daemon-reload and restarts are derived again for what the down plan changes, so a restored unit
 *   runs its previous configuration.
 * - With `backups` (a tracked run), previous file-like content is a `{"$backup": …}` reference
 *   instead of embedded content, and env files get their previous secret values back byte for byte.
 */
import { HostKitError } from "../model/errors.ts";
import { makePlan, summarize, type Change, type Plan } from "../model/plan.ts";
import type { Account, Command, Directory, EnvFile, FileRes, SystemdService, SystemdTimer } from "../model/resource.ts";
import { formatMode } from "../model/mode.ts";
import type { BackupId } from "../kinds/types.ts";
import { digest, stableStringify } from "./digest.ts";
import { settledState, stateBasis } from "./down-state.ts";
import { handlerSteps, type UnitInfo } from "./handlers.ts";

/** Where a tracked run stored a resource's previous content: a payload id inside that run's backup directory. */
export type BackupRef = BackupId;

export interface DownOptions {
  /** Reverse only these `type:id` keys of the plan. */
  only?: readonly string[];
  /** Per-change statuses of the run that applied the plan: only applied (or skipped) changes are reversed. */
  results?: readonly { key: string; status: string }[];
  /** Backup payloads of the run, by change key. */
  backups?: Readonly<Record<string, BackupRef>>;
  /** The run this down plan reverses. */
  run?: string;
  /** The up plan file this down plan reverses. */
  planPath?: string;
  now?: Date;
}

type Rec = Record<string, unknown>;
type Unit = SystemdService | SystemdTimer;

const UNIT_TYPES = new Set(["systemd_service", "systemd_timer"]);
const FILE_LIKE = new Set(["file", "env_file", "systemd_service", "systemd_timer"]);

interface Inverse {
  change?: Change;
  warning?: string;
  kept?: string;
}

interface Ctx {
  backups: Readonly<Record<string, BackupRef>>;
}

function base(c: Change): Pick<Change, "key" | "type" | "id" | "source" | "service"> {
  return { key: c.key, type: c.type, id: c.id, ...(c.source ? { source: c.source } : {}), ...(c.service ? { service: c.service } : {}) };
}

/** The basis a down change is checked against: the state its up change left behind. */
function basisOf(c: Change): Pick<Change, "basis"> {
  const state = settledState(c);
  return state ? { basis: stateBasis(c.key, state) } : {};
}

function ref(b: BackupRef): { $backup: BackupRef } {
  return { $backup: { run: b.run, id: b.id, sha256: b.sha256 } };
}

function metaOf(x: Rec): { owner: string; group: string; mode: number } {
  return { owner: x.owner as string, group: x.group as string, mode: x.mode as number };
}

/** What differs between two states, for the reason line: ["content", "mode 0640 → 0644"]. */
function aspects(from: Rec, to: Rec): string[] {
  const out: string[] = [];
  if (from.sha256 !== to.sha256) out.push("content");
  if (from.mode !== to.mode && typeof from.mode === "number" && typeof to.mode === "number") out.push(`mode ${formatMode(from.mode)} → ${formatMode(to.mode)}`);
  if (from.owner !== to.owner) out.push(`owner ${from.owner} → ${to.owner}`);
  if (from.group !== to.group) out.push(`group ${from.group} → ${to.group}`);
  return out;
}

function withoutContent<R extends { content?: string; contentBase64?: string }>(r: R): R {
  const { content: _c, contentBase64: _b, ...rest } = r;
  return rest as R;
}

/** The content a file resource declares, for the `before` of a down change (diffs in the formatted plan). */
function declaredContent(r: FileRes): Rec {
  return r.content !== undefined ? { content: r.content } : r.contentBase64 !== undefined ? { contentBase64: r.contentBase64 } : {};
}

/** The inverse of creating a resource: delete it, unless its rollback policy keeps it. */
function deleteCreated(c: Change, r: FileRes | EnvFile | Unit | Account, before: Rec, after: Rec = { exists: false }): Inverse {
  if (r.rollback === "keep") return { kept: `${c.key} (rollback: "keep")` };
  return { change: { ...base(c), action: "delete", reason: "created by the up plan", before: { exists: true, ...before }, after, resource: r, ...basisOf(c) } };
}

function invertFile(c: Change, ctx: Ctx): Inverse {
  const r = c.resource as FileRes;
  const b = (c.before ?? {}) as Rec;
  const a = (c.after ?? {}) as Rec;
  const backup = ctx.backups[c.key];
  if (c.action === "create") return deleteCreated(c, r, { ...a, ...declaredContent(r) });
  if (b.exists && b.fileType !== "regular file") return { warning: `${c.key}: was a ${String(b.fileType)} before the up plan; not restored` };
  const prev: Rec | undefined = backup ? {} : b.content !== undefined ? { content: b.content } : b.contentBase64 !== undefined ? { contentBase64: b.contentBase64 } : undefined;
  if (!prev) {
    const why = typeof b.contentHidden === "string" ? `was not kept in the plan (${b.contentHidden})` : `(${String(b.size ?? "?")} bytes) is too large to keep in a plan`;
    return { warning: `${c.key}: its previous content ${why} and no tracked run backed it up; not restored` };
  }
  const meta = metaOf(b);
  const resource: FileRes = { ...withoutContent(r), ...(prev as { content?: string; contentBase64?: string }), ...meta };
  const after: Rec = { sha256: backup?.sha256 ?? b.sha256, ...meta, ...(backup ? { content: ref(backup) } : {}) };
  const from = backup ? ` from the backup of run ${backup.run}` : "";
  if (c.action === "delete") {
    return { change: { ...base(c), action: "create", reason: `recreate the deleted file${from}`, before: { exists: false }, after, resource, ...basisOf(c) } };
  }
  return { change: { ...base(c), action: "update", reason: `restore previous ${aspects(a, b).join(", ") || "state"}${from}`, before: { exists: true, ...a, ...declaredContent(r) }, after, resource, ...basisOf(c) } };
}

function invertEnvFile(c: Change, ctx: Ctx, warnings: string[]): Inverse {
  const r = c.resource as EnvFile;
  const b = (c.before ?? {}) as Rec;
  const a = (c.after ?? {}) as Rec;
  const backup = ctx.backups[c.key];
  if (c.action === "create") return deleteCreated(c, r, a);
  const meta = metaOf(b);
  const set = { ...((b.set ?? {}) as Record<string, string>) };
  let resource: EnvFile;
  let after: Rec;
  if (backup) {
    resource = { ...r, set, secret: {}, ...meta };
    after = { ...meta, set, content: ref(backup) };
  } else {
    const keys = (b.keys ?? []) as string[];
    // A `set` value that differed before the up plan was not kept (it may have been a secret): it stays as the up plan wrote it.
    const kept = keys.filter((k) => !(k in set) && k in r.set);
    for (const k of kept) set[k] = r.set[k]!;
    if (kept.length) warnings.push(`${c.key}: previous values of ${kept.join(", ")} were not kept in the plan (they may have been secret) and no tracked run backed them up; the down plan leaves their current values (apply --track keeps backups)`);
    const secretKeys = keys.filter((k) => !(k in set) && k in r.secret);
    const unknown = keys.filter((k) => !(k in set) && !(k in r.secret));
    const secret = Object.fromEntries(secretKeys.map((k) => [k, r.secret[k]!]));
    if (secretKeys.length) warnings.push(`${c.key}: previous values of ${secretKeys.join(", ")} are not in plans and no tracked run backed them up; the down plan writes their current values from the controller's environment (apply --track keeps backups)`);
    if (unknown.length) warnings.push(`${c.key}: previous values of ${unknown.join(", ")} are not in the plan and no tracked run backed them up; the restored file leaves them out`);
    resource = { ...r, set, secret, ...meta };
    after = { ...meta, set, secret };
  }
  const what = [...(stableStringify(a.set ?? {}) !== stableStringify(set) ? ["values"] : []), ...aspects({ ...a, sha256: 0 }, { ...b, sha256: 0 })].join(", ") || "file";
  const reason = `${c.action === "delete" ? "recreate the deleted env file" : `restore previous ${what}`}${backup ? ` from the backup of run ${backup.run}` : ""}`;
  const before = c.action === "delete" ? { exists: false } : { exists: true, ...a };
  return { change: { ...base(c), action: c.action === "delete" ? "create" : "update", reason, before, after, resource, ...basisOf(c) } };
}

function invertUnit(c: Change, ctx: Ctx): Inverse {
  const r = c.resource as Unit;
  const b = (c.before ?? {}) as Rec;
  const a = (c.after ?? {}) as Rec;
  const backup = ctx.backups[c.key];
  if (c.action === "create") return deleteCreated(c, r, a, { exists: false, enabled: "not-found" });
  if (b.content === undefined && !backup) return { warning: `${c.key}: its previous unit file was not captured; not restored` };
  const enabled = b.enabled === "enabled";
  const after: Rec = { content: backup ? ref(backup) : b.content, sha256: backup?.sha256 ?? b.sha256, enabled: enabled ? "enabled" : "disabled" };
  const what = [...(a.sha256 !== after.sha256 ? ["unit file"] : []), ...(a.enabled !== after.enabled ? [after.enabled as string] : [])].join(", ") || "unit";
  const action = c.action === "delete" ? "create" : "update";
  return { change: { ...base(c), action, reason: `${action === "create" ? "recreate the deleted unit" : `restore previous ${what}`}${backup ? ` from the backup of run ${backup.run}` : ""}`, before: action === "create" ? { exists: false } : { exists: true, ...a }, after, resource: { ...r, enable: enabled } as Unit, ...basisOf(c) } };
}

function invertDirectory(c: Change): Inverse {
  const r = c.resource as Directory;
  const b = (c.before ?? {}) as Rec;
  const a = (c.after ?? {}) as Rec;
  if (c.action === "create") {
    if (r.rollback === "keep") return { kept: `${c.key} (rollback: "keep")` };
    return { change: { ...base(c), action: "delete", reason: `created by the up plan (rollback: "${r.rollback}"; removed only if empty)`, before: { exists: true, ...a }, after: { exists: false }, resource: r, ...basisOf(c) } };
  }
  if (b.fileType !== "directory") return { warning: `${c.key}: was a ${String(b.fileType ?? "missing path")} before the up plan; not restored` };
  const meta = metaOf(b);
  const action = c.action === "delete" ? "create" : "update";
  return { change: { ...base(c), action, reason: action === "create" ? "recreate the deleted directory" : `restore previous ${aspects(a, b).join(", ") || "state"}`, before: action === "create" ? { exists: false } : { exists: true, ...a }, after: { path: r.path, ...meta }, resource: { ...r, ...meta }, ...basisOf(c) } };
}

function invertAccount(c: Change, warnings: string[]): Inverse {
  const r = c.resource as Account;
  const b = (c.before ?? {}) as Rec;
  const a = (c.after ?? {}) as Rec;
  if (c.action === "create") return deleteCreated(c, r, a);
  const added = ((a.groups ?? []) as string[]).filter((g) => !((b.groups ?? []) as string[]).includes(g));
  const shellBack = r.shell !== undefined && b.shell !== r.shell;
  const homeBack = r.home !== undefined && b.home !== r.home;
  if (added.length) warnings.push(`${c.key}: supplementary groups added by the up plan (${added.join(", ")}) are kept`);
  if (!shellBack && !homeBack) return {};
  const resource: Account = { ...r, groups: [], ...(shellBack ? { shell: b.shell as string } : {}), ...(homeBack ? { home: b.home as string } : {}) };
  return { change: { ...base(c), action: "update", reason: `restore previous ${[shellBack ? `shell ${b.shell}` : "", homeBack ? `home ${b.home}` : ""].filter(Boolean).join(", ")}`, before: { exists: true, ...a }, after: { ...a, shell: resource.shell, home: resource.home, groups: [] }, resource, ...basisOf(c) } };
}

function invertCommand(c: Change, warnings: string[]): Inverse {
  const d = c.down as { exec?: string[] } | "noop" | "irreversible" | undefined;
  const upExec = ((c.after as Rec | undefined)?.exec ?? []) as string[];
  if (d === "noop") return {};
  if (!d || d === "irreversible" || !Array.isArray(d.exec) || !c.resource) {
    warnings.push(`${c.key} is irreversible: the down plan does not undo \`${upExec.join(" ")}\``);
    return {};
  }
  const r = c.resource as Command;
  const resource: Command = { ...r, exec: d.exec, down: upExec };
  return { change: { ...base(c), action: "run", reason: `undo ${c.key} (its declared down)`, after: { exec: d.exec, phase: (c.after as Rec | undefined)?.phase }, down: { exec: upExec }, resource } };
}

function invert(c: Change, ctx: Ctx, warnings: string[]): Inverse {
  if (!c.resource && c.type !== "command") return { warning: `${c.key}: the plan does not record its resource; not reversed` };
  switch (c.type) {
    case "file":
      return invertFile(c, ctx);
    case "env_file":
      return invertEnvFile(c, ctx, warnings);
    case "systemd_service":
    case "systemd_timer":
      return invertUnit(c, ctx);
    case "directory":
      return invertDirectory(c);
    case "account":
      return invertAccount(c, warnings);
    case "command":
      return invertCommand(c, warnings);
    case "package":
      return { kept: `${c.key} (rollback: "${(c.resource as { rollback?: string }).rollback ?? "keep"}")` };
    case "source":
      return { warning: `${c.key}: source updates are not reversed (the previous remote/ref may be gone); roll the source back explicitly` };
    default:
      return { warning: `${c.key}: no down for ${c.type} changes; not reversed` };
  }
}

/** daemon-reload and restarts for what the down plan changes: the same handlers as up plans. */
function downSteps(up: Plan, reversed: Change[]): Change[] {
  const units = new Map<string, UnitInfo>();
  for (const c of up.changes) {
    if (!UNIT_TYPES.has(c.type) || !c.resource) continue;
    const r = c.resource as Unit;
    units.set(r.name, { name: r.name, key: c.key, ...(c.source ? { source: c.source } : {}), ...(c.service ? { service: c.service } : {}), start: r.start, restartOn: r.type === "systemd_service" ? r.restartOn : [] });
  }
  const startedBefore = new Set<string>();
  for (const c of up.changes) {
    if (c.type !== "service_state") continue;
    startedBefore.add(c.id);
    if (!units.has(c.id)) units.set(c.id, { name: c.id, key: `systemd_service:${c.id}`, ...(c.source ? { source: c.source } : {}), ...(c.service ? { service: c.service } : {}), start: true, restartOn: [] });
  }
  return handlerSteps(reversed, [...units.values()], { live: up.target.transport !== "root", verb: "restored", startedBefore });
}

function select(plan: Plan, opts: DownOptions, warnings: string[]): Change[] {
  let changes = plan.changes.filter((c) => c.action !== "noop");
  if (opts.results) {
    const status = new Map(opts.results.map((r) => [r.key, r.status]));
    for (const c of changes) {
      if (status.get(c.key) === "failed") warnings.push(`${c.key} failed during ${opts.run ? `run ${opts.run}` : "the run"} and is not reversed; it may be partly applied (hostkit plan shows its state)`);
    }
    changes = changes.filter((c) => status.get(c.key) === "applied" || status.get(c.key) === "skipped");
  }
  if (!opts.only?.length) return changes;
  const keys = new Set(plan.changes.map((c) => c.key));
  const applied = new Set(changes.map((c) => c.key));
  for (const k of opts.only) {
    if (!keys.has(k)) {
      const some = [...keys].filter((x) => !x.startsWith("systemd:") && !x.startsWith("service_state:")).slice(0, 8);
      throw new HostKitError({ key: "--only", message: `no change ${k} in the plan`, hint: some.length ? `the plan changes: ${some.join(", ")}${keys.size > some.length ? ", …" : ""}` : "the plan has no changes" });
    }
    if (!applied.has(k)) warnings.push(`${k} was not applied by the run; nothing to reverse`);
  }
  const only = new Set(opts.only);
  return changes.filter((c) => only.has(c.key));
}

/**
 * The down plan of an up plan.
 * @example
 * const back = down(plan, { only: ["file:/etc/gatehouse/config.exs"] });
 */
export function down(plan: Plan, opts: DownOptions = {}): Plan {
  if (plan.direction !== "up") throw new HostKitError({ subject: "down", message: "this is already a down plan; down plans are derived from the up plan that was applied" });
  const warnings: string[] = [];
  const selected = select(plan, opts, warnings);
  const ctx: Ctx = { backups: opts.backups ?? {} };
  const commands: Change[] = [];
  const resources: Change[] = [];
  const kept: string[] = [];
  for (const c of [...selected].reverse()) {
    if (c.type === "systemd" || c.type === "service_state") continue;
    const inv = invert(c, ctx, warnings);
    if (inv.warning) warnings.push(inv.warning);
    if (inv.kept) kept.push(inv.kept);
    if (inv.change) (c.type === "command" ? commands : resources).push(inv.change);
  }
  if (kept.length) warnings.push(`kept by their rollback policy: ${kept.join(", ")}`);
  const changes = [...commands, ...resources, ...downSteps(plan, resources)];
  return makePlan({
    direction: "down",
    project: plan.project,
    target: plan.target,
    ...(opts.now ? { now: opts.now } : {}),
    basis: digest(changes.map((c) => c.basis ?? null)),
    changes,
    summary: summarize(changes),
    warnings,
    from: { ...(opts.planPath ? { plan: opts.planPath } : {}), ...(opts.run ? { run: opts.run } : {}), basis: plan.basis },
  });
}

/** The keys of file-like changes a tracked run can back up (previous content exists on the host). */
export function backupCandidate(c: Pick<Change, "type" | "action" | "before">): boolean {
  const b = c.before as Rec | undefined;
  return FILE_LIKE.has(c.type) && (c.action === "update" || c.action === "delete") && !!b?.exists && (b.fileType === undefined || b.fileType === "regular file");
}
