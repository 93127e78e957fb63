/**
 * Down plans: the inverse of an applied up plan, derived from its changes' before/after alone. Pure.
 *
 * - Changes come back in reverse order: command downs first (newest first), then resources.
 * - Each change is inverted by its kind (src/kinds/<kind>.ts, `down.invert`): created file-like
 *   resources are deleted; updated ones get their `before` state back; deleted ones are recreated.
 *   Directories, accounts and packages follow their rollback policy (kept by default; a directory
 *   goes with `delete_if_created` while empty, with `delete` with its contents).
 * - A command's `down` argv becomes an ordinary command change; `noop` is left out; `irreversible`
 *   is left out with a warning.
 * - daemon-reload and restarts are derived again for what the down plan changes, so a restored unit
 *   runs its previous configuration.
 * - With `backups` (a tracked run), previous file-like content is a `{"$backup": …}` reference
 *   instead of embedded content, and env files get their previous secret values back byte for byte.
 */
import { HostKitError } from "../model/errors.ts";
import { makePlan, summarize, type Change, type Plan } from "../model/plan.ts";
import { kindOf, stepOf } from "../kinds/registry.ts";
import { SERVICE_STATE } from "../kinds/systemd-steps.ts";
import type { BackupId, InvertCtx, Inverse } from "../model/kind.ts";
import { digest } from "./digest.ts";
import { stateBasis } from "./down-state.ts";
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

/** The inverse of one applied change, by its kind; its staleness basis is the state the up change left. */
function invert(c: Change, ctx: InvertCtx): Inverse {
  const kind = kindOf(c.type);
  if (!kind) return { warning: `${c.key}: no down for ${c.type} changes; not reversed` };
  if (!c.resource && !kind.steps) return { warning: `${c.key}: the plan does not record its resource; not reversed` };
  const inv = kind.down.invert(c, ctx);
  const state = kind.down.settled(c);
  return inv.change && state ? { ...inv, change: { ...inv.change, basis: stateBasis(c.key, state) } } : inv;
}

/** daemon-reload and restarts for what the down plan changes: the same handlers as up plans. */
function downSteps(up: Plan, reversed: Change[]): Change[] {
  const units = new Map<string, UnitInfo>();
  for (const c of up.changes) {
    const role = c.resource ? kindOf(c.type)?.unit?.(c.resource) : undefined;
    if (role) units.set(role.name, { ...role, key: c.key, ...(c.source ? { source: c.source } : {}), ...(c.service ? { service: c.service } : {}) });
  }
  const startedBefore = new Set<string>();
  for (const c of up.changes) {
    if (c.type !== SERVICE_STATE) continue;
    startedBefore.add(c.id);
    if (!units.has(c.id)) units.set(c.id, { name: c.id, key: c.key, // no unit change of its own in the plan: nothing to match
       ...(c.source ? { source: c.source } : {}), ...(c.service ? { service: c.service } : {}), start: true, restartOn: [] });
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
  // a saved instance plan carries its nested host's plan: that host's run is reversed on its own
  if (plan.nested) warnings.push(`the changes on ${plan.nested.plan.target.name} (inside instance ${plan.target.name}) are not reversed by this down plan: hostkit down --last --host ${plan.nested.plan.target.name}`);
  const selected = select(plan, opts, warnings);
  const ctx: InvertCtx = { backups: opts.backups ?? {}, warnings };
  const commands: Change[] = [];
  const resources: Change[] = [];
  const kept: string[] = [];
  const reverted = new Set(selected.map((c) => c.key));
  // Steps the up plan did not run (no release change): their downs do not run either; said so.
  for (const w of plan.warnings) if (/^\S+ did not run: /.test(w)) warnings.push(`${w}; its down is not run either`);
  for (const c of [...selected].reverse()) {
    if (stepOf(c.type)) continue; // derived again below
    // A step with a recorded cause (a migration run by a release change) is undone only with its cause.
    const cause = (c.after as { triggeredBy?: string[] } | undefined)?.triggeredBy;
    if (cause && !cause.some((k) => reverted.has(k))) {
      warnings.push(`${c.key}: its down is not run: what triggered it (${cause.join(", ") || "nothing"}) is not reverted by this down plan`);
      continue;
    }
    const inv = invert(c, ctx);
    if (inv.warning) warnings.push(inv.warning);
    if (inv.kept) kept.push(inv.kept);
    // Steps-kinds (commands) come back first, newest first; then the resources.
    if (inv.change) (kindOf(c.type)?.steps ? commands : resources).push(inv.change);
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
    // The whole run reversed: the host's managed-resources record goes back to the one the up plan replaced.
    ...(plan.managed && !opts.only?.length ? { managed: { record: plan.managed.previous ?? { ...plan.managed.record, entries: [] }, previous: plan.managed.record } } : {}),
    from: { ...(opts.planPath ? { plan: opts.planPath } : {}), ...(opts.run ? { run: opts.run } : {}), basis: plan.basis },
  });
}

/** The keys of file-like changes a tracked run can back up (previous content exists on the host). */
export function backupCandidate(c: Pick<Change, "type" | "action" | "before">): boolean {
  const b = c.before as Rec | undefined;
  return !!kindOf(c.type)?.contentPath && (c.action === "update" || c.action === "delete") && !!b?.exists && (b.fileType === undefined || b.fileType === "regular file");
}
