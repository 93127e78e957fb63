/**
 * Down plans in `apply --plan`: a down plan restores previous states (content, owners, modes) that
 * only the run that applied the up plan knows, so it is accepted only when hostkit derived it: its
 * digest is recorded in that run's record (or, derived from an up plan file, in the runs root's
 * ledger; see artifacts/derived.ts). Its `$backup` references must name payloads of that same run's
 * own backup directory, by id.
 */
import { lstatSync } from "node:fs";
import { basename, join } from "node:path";
import type { Plan } from "../model/plan.ts";
import { backupPayload, BACKUP_ID } from "../model/kind.ts";
import { sameTarget, type RunRecord, type RunStore, type DerivedPlan } from "../artifacts/runs.ts";
import { derivedEntry, ledgerEntries } from "../artifacts/derived.ts";
import type { SavedPlan } from "../artifacts/saved-plan.ts";
import type { BackupStore } from "./backups.ts";

/** One refused part of a saved plan: the change key (or "target", "project"…) and why. */
export interface Problem {
  key: string;
  why: string;
}

/** Name what an edit changed: the changes whose digest is not the recorded one (or that were added/removed). */
function changedKeys(plan: Plan, recorded: DerivedPlan | undefined): Problem[] {
  if (!recorded) return [{ key: "plan", why: "no down plan derived by hostkit has this content" }];
  const mine = derivedEntry(plan).changes;
  const out: Problem[] = [];
  for (const [key, d] of Object.entries(mine)) {
    if (!(key in recorded.changes)) out.push({ key, why: "is not in the down plan hostkit derived" });
    else if (recorded.changes[key] !== d) out.push({ key, why: "differs from the down plan hostkit derived (edited)" });
  }
  for (const key of Object.keys(recorded.changes)) if (!(key in mine)) out.push({ key, why: "was removed from the down plan hostkit derived" });
  return out.length ? out : [{ key: "plan", why: "differs from the down plan hostkit derived outside its changes (target, project, from or warnings)" }];
}

/** `$backup` references: only payloads of the run this plan reverses, by plain id, present in its own directory. */
function backupProblems(plan: Plan, record: RunRecord | undefined, problems: Problem[]): BackupStore | undefined {
  const dir = record?.backups && basename(record.backups) === record.id ? record.backups : undefined;
  let used = false;
  for (const c of plan.changes) {
    let ref;
    try {
      ref = backupPayload((c.after as { content?: unknown } | undefined)?.content);
    } catch (e) {
      problems.push({ key: c.key, why: (e as Error).message });
      continue;
    }
    if (!ref || !("backup" in ref)) continue;
    used = true;
    const { run, id } = ref.backup;
    if (!record || run !== record.id) problems.push({ key: c.key, why: `restores a backup of run ${run}, not of the run this plan reverses${record ? ` (${record.id})` : ""}` });
    else if (!dir) problems.push({ key: c.key, why: `run ${record.id} kept no backups` });
    else if (!BACKUP_ID.test(id)) problems.push({ key: c.key, why: "its backup id is not a plain payload name" });
    else {
      let ok = false;
      try {
        ok = lstatSync(join(dir, id)).isFile();
      } catch {
        /* missing */
      }
      if (!ok) problems.push({ key: c.key, why: `backup payload ${id} is not a regular file in ${dir}` });
    }
  }
  return used && record && dir ? { run: record.id, dir } : undefined;
}

/** Check a saved down plan; pushes problems (each naming a change), returns where its backups are. */
export function verifyDownPlan(saved: SavedPlan, store: RunStore | undefined, problems: Problem[]): { backups?: BackupStore } {
  const { plan } = saved;
  if (!store) {
    problems.push({ key: "plan", why: "no runs root was found to check this down plan against (pass the infra FILE or --runs-root)" });
    return {};
  }
  const runId = plan.from?.run;
  if (!runId) {
    const { exact, related } = ledgerEntries(store, plan);
    if (!exact) problems.push(...changedKeys(plan, related.pop()));
    backupProblems(plan, undefined, problems);
    return {};
  }
  let record: RunRecord;
  try {
    record = store.read(runId);
  } catch (e) {
    problems.push({ key: "from.run", why: (e as Error).message.split("\n")[0]! });
    return {};
  }
  if (record.project !== plan.project || !sameTarget(record.target, plan.target) || record.direction !== "up") {
    problems.push({ key: "from.run", why: `run ${runId} is not an up run of project ${plan.project} on this target` });
  }
  const entries = record.downPlans ?? [];
  const digestNow = derivedEntry(plan).digest;
  if (!entries.some((e) => e.digest === digestNow)) problems.push(...changedKeys(plan, entries.at(-1)));
  const backups = backupProblems(plan, record, problems);
  return backups ? { backups } : {};
}
