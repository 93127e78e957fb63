/**
 * Prune: resources the host's managed-resources record (model/managed.ts) lists but the declarations
 * no longer do. Each becomes an ordinary `delete` change of its kind (so apply runs the kind's delete
 * ops — units are stopped and disabled first — and a down plan recreates it from the run's backups),
 * unless its rollback policy keeps it:
 * - "keep" (accounts and directories by default): kept, with a warning naming it, and no longer managed;
 * - "delete_if_created": deleted only when HostKit created it; otherwise kept the same way;
 * - "delete" (files, env files, units, timers by default): deleted.
 * What is already gone needs nothing. Only the removed resources are read, and only when there are
 * any (a second round trip, with the same probes and path checks as declared resources).
 */
import * as v from "valibot";
import { HostKitError } from "../model/errors.ts";
import type { ManagedEntry, ManagedState } from "../model/managed.ts";
import type { Change } from "../model/plan.ts";
import type { Resource } from "../model/resource.ts";
import { formatLoc } from "../model/source.ts";
import type { TargetCtx } from "../model/kind.ts";
import { kindOf } from "../kinds/registry.ts";
import type { Runner } from "../targets/runner.ts";
import { dependencyOrder } from "./order.ts";
import { recordable } from "./managed.ts";
import { probeAll, type Observed } from "./probe.ts";

export interface PruneInput {
  state: ManagedState | null;
  /** Keys of every resource declared for this target (selected or not). */
  declared: ReadonlySet<string>;
  /** Paths declared resources write: a removed resource at one of them is taken over (an env file now declared as a file), never deleted. */
  declaredPaths?: ReadonlySet<string>;
  /** false: `--no-prune` (removed resources are listed in a warning, kept in the record). */
  prune: boolean;
  runner: Runner;
  ctx: TargetCtx;
}

export interface PruneResult {
  /** Delete changes, in reverse dependency order (a timer before its service, a unit before its env file). */
  deletes: Change[];
  /** Read facts of the resources deleted (handlers see their units). */
  observed: Observed[];
  warnings: string[];
  /** Entries the next record keeps (not pruned now: --no-prune, or a delete not planned). */
  carried: ManagedEntry[];
}

/** A recorded declaration, checked against its kind's schema (a record is host data: never trusted blindly). */
function resourceOf(e: ManagedEntry, where: string): Resource {
  const kind = kindOf(String(e.resource.type));
  const parsed = kind ? v.safeParse(kind.schema as unknown as v.GenericSchema, e.resource) : undefined;
  if (!parsed?.success || `${e.resource.type}:${e.resource.id}` !== e.key) {
    throw new HostKitError({ subject: `${where}: managed-resources record`, message: `its entry ${JSON.stringify(e.key)} is not a valid ${String(e.resource.type)} declaration`, hint: "plan with --no-prune, and restore or remove the record" });
  }
  return parsed.output as Resource;
}

function policyKeeps(r: Resource, created: boolean): string | undefined {
  const rollback = (r as { rollback?: string }).rollback;
  if (rollback === "keep") return `rollback: "keep"`;
  if (rollback === "delete_if_created" && !created) return `rollback: "delete_if_created", and it existed before HostKit managed it`;
  return undefined;
}

export async function planPrune(o: PruneInput, where: string): Promise<PruneResult> {
  const removed = (o.state?.entries ?? []).filter((e) => !o.declared.has(e.key) && recordable(String(e.resource.type)));
  const out: PruneResult = { deletes: [], observed: [], warnings: [], carried: [] };
  if (!removed.length) return out;
  if (!o.prune) {
    out.warnings.push(`--no-prune: ${removed.length} managed resource(s) no longer declared are not deleted (a later plan will): ${removed.map((e) => e.key).join(", ")}`);
    out.carried.push(...removed);
    return out;
  }
  const kept: string[] = [];
  const taken: string[] = [];
  const candidates: { e: ManagedEntry; r: Resource }[] = [];
  for (const e of removed) {
    const r = resourceOf(e, where);
    const path = kindOf(r.type)?.writes?.(r)?.path;
    if (path !== undefined && o.declaredPaths?.has(path)) {
      taken.push(e.key);
      continue;
    }
    const why = policyKeeps(r, !!e.created);
    if (why) kept.push(`${e.key} (${why})`);
    else candidates.push({ e, r });
  }
  if (taken.length) out.warnings.push(`no longer declared, but their paths are declared again as another kind (taken over, not deleted): ${taken.join(", ")}`);
  if (kept.length) out.warnings.push(`no longer declared, kept on the host and no longer managed by HostKit: ${kept.join(", ")}`);
  if (!candidates.length) return out;
  const { observed, unsafe } = await probeAll(candidates.map((c) => c.r), o.runner, o.ctx);
  if (unsafe.length) throw new HostKitError(unsafe);
  const changes: Change[] = [];
  for (const ob of observed) {
    const r = ob.resource;
    const kind = kindOf(r.type)!;
    const key = `${r.type}:${r.id}`;
    const now = kind.down.observed(ob.fact);
    if (!now?.exists) continue; // already gone: nothing to do, and no longer managed
    const d = kind.diff(r, ob.fact);
    changes.push({
      key,
      type: r.type,
      id: r.id,
      action: "delete",
      reason: "no longer declared (managed by HostKit)",
      // Where it was last declared (the record keeps it): the declaration this delete undoes.
      source: formatLoc(r.source),
      ...(r.service ? { service: r.service } : {}),
      before: d.before ?? { exists: true },
      after: { exists: false },
      resource: r as Change["resource"],
      basis: ob.basis,
    });
    out.observed.push(ob);
  }
  // Reverse dependency order: what depends on a resource goes before it.
  out.deletes = dependencyOrder(changes.map((c) => ({ key: c.key, c, requires: c.resource?.requires }))).map((n) => n.c).reverse();
  return out;
}
