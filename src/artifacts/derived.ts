/**
 * Down plans hostkit derived: `hostkit down` records the digest of each down plan it writes (and of
 * each of its changes), so `apply --plan` can tell a down plan hostkit made from an edited one.
 * - Derived from a tracked run: in that run's record (`downPlans`), next to what it reverses.
 * - Derived from an up plan file: under `<runs root>/derived/<digest>.json` (0600 in 0700).
 * Both live on the controller, in the project's runs root; a plan file in transit is not trusted.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import type { Plan } from "../model/plan.ts";
import { digest } from "../plan/digest.ts";
import { makePrivateDir, writePrivate } from "./private.ts";
import { DerivedPlanSchema, type DerivedPlan, type RunRecord, type RunStore } from "./runs.ts";

/** Down plans kept per run record (the newest). */
const KEEP = 20;

/** The digest of a plan as hostkit wrote it (its signature aside). */
export function planDigest(plan: Plan): string {
  const { signature: _s, ...rest } = plan as Plan & { signature?: unknown };
  return digest(rest);
}

export function derivedEntry(plan: Plan, now = new Date()): DerivedPlan {
  return { digest: planDigest(plan), changes: Object.fromEntries(plan.changes.map((c) => [c.key, digest(c)])), at: now.toISOString() };
}

const ledger = (store: RunStore) => join(store.paths.root, "derived");
const hex = (d: string) => d.replace(/^sha256:/, "");

const LedgerSchema = v.object({ ...DerivedPlanSchema.entries, from: v.optional(v.string()) });

/** Record a down plan hostkit just derived (from `record`, or from an up plan file). */
export function recordDerived(store: RunStore, plan: Plan, record?: RunRecord): void {
  const entry = derivedEntry(plan);
  if (record) {
    record.downPlans = [...(record.downPlans ?? []), entry].slice(-KEEP);
    store.write(record);
    return;
  }
  makePrivateDir(ledger(store));
  writePrivate(join(ledger(store), `${hex(entry.digest)}.json`), `${JSON.stringify({ ...entry, ...(plan.from?.plan ? { from: plan.from.plan } : {}) })}\n`);
}

/** The recorded entries a run-less down plan may match (the exact one, or those derived from the same up plan). */
export function ledgerEntries(store: RunStore, plan: Plan): { exact?: DerivedPlan; related: DerivedPlan[] } {
  const dir = ledger(store);
  const read = (file: string): (DerivedPlan & { from?: string }) | undefined => {
    try {
      const res = v.safeParse(LedgerSchema, JSON.parse(readFileSync(join(dir, file), "utf8")));
      return res.success ? res.output : undefined;
    } catch {
      return undefined;
    }
  };
  const want = `${hex(planDigest(plan))}.json`;
  const exact = existsSync(join(dir, want)) ? read(want) : undefined;
  if (exact) return { exact, related: [] };
  const related = existsSync(dir) ? readdirSync(dir).flatMap((f) => read(f) ?? []).filter((e) => e.from === plan.from?.plan) : [];
  return { related: related.sort((a, b) => a.at.localeCompare(b.at)) };
}
