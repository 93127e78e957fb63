/**
 * @internal Shared pieces of the kinds' down parts: inverting an applied change from its before/after
 * alone. The down driver (src/plan/down.ts) sets each inverse's staleness basis from the kind's
 * `settled` state, so these helpers never do.
 */
import type { Change } from "../model/plan.ts";
import type { BackupId, Inverse, KindChange } from "../model/kind.ts";
import type { ResourceBase, RollbackPolicy } from "../model/resource.ts";
import { formatMode } from "../model/mode.ts";

export type Rec = Record<string, unknown>;

/** The identity of a change, carried over to its inverse. */
export function sameKey(c: Pick<Change, "key" | "type" | "id" | "source" | "service">): Pick<Change, "key" | "type" | "id" | "source" | "service"> {
  return { key: c.key, type: c.type, id: c.id, ...(c.source ? { source: c.source } : {}), ...(c.service ? { service: c.service } : {}) };
}

/** A `$backup` reference in place of previous content. */
export function backupRef(b: BackupId): { $backup: BackupId } {
  return { $backup: { run: b.run, id: b.id, sha256: b.sha256 } };
}

export function metaOf(x: Rec): { owner: string; group: string; mode: number } {
  return { owner: x.owner as string, group: x.group as string, mode: x.mode as number };
}

/** What differs between two states, for the reason line: ["content", "mode 0640 → 0644"]. */
export function aspects(from: Rec, to: Rec): string[] {
  const out: string[] = [];
  if (from.sha256 !== to.sha256) out.push("content");
  if (from.mode !== to.mode && typeof from.mode === "number" && typeof to.mode === "number") out.push(`mode ${formatMode(from.mode)} → ${formatMode(to.mode)}`);
  if (from.owner !== to.owner) out.push(`owner ${from.owner} → ${to.owner}`);
  if (from.group !== to.group) out.push(`group ${from.group} → ${to.group}`);
  return out;
}

export function withoutContent<R extends { content?: string; contentBase64?: string; contentSource?: unknown }>(r: R): R {
  const { content: _c, contentBase64: _b, contentSource: _s, ...rest } = r;
  return rest as R;
}

/**
 * The inverse of creating a resource, by its rollback policy: `keep` keeps it; `delete` removes it;
 * `delete_if_created` removes it too (this change did create it) — for kinds where removing is
 * conditional (a directory that is no longer empty), the kind says so in its reason.
 */
export function deleteCreated(c: KindChange<ResourceBase>, r: { rollback: RollbackPolicy }, before: Rec, after: Rec = { exists: false }): Inverse {
  if (r.rollback === "keep") return { kept: `${c.key} (rollback: "keep")` };
  return { change: { ...sameKey(c), action: "delete", reason: "created by the up plan", before: { exists: true, ...before }, after, resource: c.resource } };
}
