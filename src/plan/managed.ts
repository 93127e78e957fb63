/**
 * Reading and writing the managed-resources record (model/managed.ts). It is read as a host fact in
 * the plan's one probe round trip, and written by the fixed symlink-safe write program (WRITE_FILE:
 * no link followed, atomic rename, mode 0600 root:root) as the final step of a successful apply.
 */
import * as v from "valibot";
import { HostKitError } from "../model/errors.ts";
import { MANAGED_FORMAT, ManagedStateSchema, type ManagedEntry, type ManagedState } from "../model/managed.ts";
import { defineFact, onTarget, type FactDef, type Op, type TargetCtx } from "../model/kind.ts";
import type { Change } from "../model/plan.ts";
import { resourceKey, type Resource } from "../model/resource.ts";
import { kindOf } from "../kinds/registry.ts";
import { writeOp } from "../kinds/file.ts";
import { text } from "../targets/runner.ts";
import { digest, stableStringify } from "./digest.ts";

export const STATE_DIR = "/var/lib/hostkit/state";

/** The record's path on the host. A project name is a plain name; anything else is encoded so it stays one file name. */
export function statePath(project: string): string {
  const safe = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(project) ? project : `_${Buffer.from(project).toString("hex").slice(0, 200)}`;
  return `${STATE_DIR}/${safe}.json`;
}

/** What the probe found: the record, none (first apply, or never applied), or an unreadable one. */
export type StateFact = { state: ManagedState | null } | { error: string };

/** The record as a host fact: one `cat` in the plan's single probe round trip. */
export function managedFact(project: string): FactDef<StateFact> {
  return defineFact<StateFact>({
    name: `hostkit.managed:${project}`,
    probe: (ctx) => [["cat", "--", onTarget(ctx, statePath(project))]],
    parse(out) {
      const o = out[0];
      if (!o || o.code !== 0) {
        const err = o ? text(o.stderr) : "";
        return /No such file|not found/i.test(err) || !o ? { state: null } : { error: err.trim() || `cat exited ${o.code}` };
      }
      try {
        const parsed = v.safeParse(ManagedStateSchema, JSON.parse(text(o.stdout)));
        if (!parsed.success) return { error: `not a HostKit managed-resources record (format ${MANAGED_FORMAT})` };
        if (parsed.output.project !== project) return { error: `records project ${JSON.stringify(parsed.output.project)}, not ${JSON.stringify(project)}` };
        return { state: parsed.output };
      } catch (e) {
        return { error: `not valid JSON (${(e as Error).message})` };
      }
    },
  });
}

/** The record, or ONE clear error: pruning never guesses from a record it cannot read. */
export function stateOf(fact: StateFact | undefined, project: string, where: string): ManagedState | null {
  if (!fact) return null;
  if ("error" in fact) throw new HostKitError({ subject: `${where}:${statePath(project)}`, message: `the managed-resources record cannot be read: ${fact.error}`, hint: "restore it, or move it away and plan with --no-prune (nothing is pruned without it)" });
  return fact.state;
}

/** Whether HostKit records this kind's resources as managed (commands and kinds it cannot plan are not). */
export function recordable(type: string): boolean {
  const k = kindOf(type);
  return !!k && k.prune !== "never" && !k.steps && !k.unplanned;
}

/** A declaration as the record keeps it: file content left out (the record is not a copy of the files). */
function recorded(r: Resource): Record<string, unknown> {
  const { content: _c, contentBase64: _b, ...rest } = r as Resource & { content?: string; contentBase64?: string };
  return rest;
}

export function entryOf(r: Resource, created: boolean): ManagedEntry {
  return { key: resourceKey(r), ...(created ? { created: true } : {}), basis: digest({ ...r, source: undefined }), resource: recorded(r) };
}

/**
 * The record a successful apply leaves: every declared resource planned for this target (created
 * when this plan creates it or an earlier apply did), plus the `carried` entries (declared but left
 * out with --ignore, or no longer declared but not pruned with --no-prune).
 */
export function nextRecord(project: string, planned: readonly Resource[], changes: readonly Change[], previous: ManagedState | null, carried: readonly ManagedEntry[]): ManagedState {
  const before = new Map((previous?.entries ?? []).map((e) => [e.key, e]));
  const creates = new Set(changes.filter((c) => c.action === "create").map((c) => c.key));
  const entries = planned.filter((r) => recordable(r.type)).map((r) => entryOf(r, creates.has(resourceKey(r)) || !!before.get(resourceKey(r))?.created));
  const seen = new Set(entries.map((e) => e.key));
  for (const e of carried) if (!seen.has(e.key)) entries.push(e);
  return { kind: "hostkit.managed", format: MANAGED_FORMAT, project, entries };
}

/** The op that writes the record: the fixed write program, 0600 root:root. */
export function writeRecordOp(record: ManagedState, ctx: TargetCtx): Op {
  return writeOp(`record managed resources ${statePath(record.project)}`, statePath(record.project), { text: `${JSON.stringify(record, null, 1)}\n` }, { mode: 0o600, owner: "root", group: "root" }, ctx.root);
}

/** Whether applying the plan must (re)write the record: it differs from the one on the host. */
export function recordPending(plan: { direction?: string; managed?: { record: ManagedState; previous: ManagedState | null } }): boolean {
  return !!plan.managed && stableStringify(plan.managed.record) !== stableStringify(plan.managed.previous);
}
