/**
 * Run records: compact JSON files that say which run applied what where. One directory per run under
 * the runs root, `<runs root>/<run id>/`, holding `run.json` (the record) and `plan.json` (the plan
 * the run applied). Backup payloads live under `<backups root>/<run id>/`.
 *
 * A record is rewritten atomically after every change, so a run cut short is visibly incomplete
 * (status "running", pending changes), never missing. Records hold keys, statuses, paths and hashes;
 * never content and never secret values.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import * as v from "valibot";
import { HostKitError } from "../model/errors.ts";
import { TargetInfoSchema, type Plan, type TargetInfo } from "../model/plan.ts";
import type { RunsOptions } from "../dsl/options.ts";
import { writePlanFile } from "./plan-file.ts";
import { makePrivateDir, writePrivate } from "./private.ts";
import { removeOwnDir } from "./own-dir.ts";
import { pidAlive } from "../apply/lock.ts";
import { newRunId } from "../apply/applier.ts";

export const RUN_FORMAT_VERSION = 1;

const BackupSchema = v.object({ path: v.string(), sha256: v.string(), size: v.number(), owner: v.string(), group: v.string(), mode: v.number() });

/** A plan hostkit derived and wrote: its digest, and each change's (to name what an edit changed). */
export const DerivedPlanSchema = v.object({ digest: v.string(), changes: v.record(v.string(), v.string()), at: v.string() });
export type DerivedPlan = v.InferOutput<typeof DerivedPlanSchema>;

export const RunChangeSchema = v.object({
  key: v.string(),
  action: v.string(),
  /**
   * "started": its ops were about to run (written before they run); a record that ends with a change
   * still "started", or "unknown" (a run that ended abnormally), may or may not have it on the host.
   */
  status: v.picklist(["applied", "skipped", "failed", "pending", "started", "unknown"]),
  error: v.optional(v.string()),
  ms: v.optional(v.number()),
  backup: v.optional(BackupSchema),
});

export const RunRecordSchema = v.object({
  formatVersion: v.literal(RUN_FORMAT_VERSION),
  kind: v.literal("hostkit.run"),
  id: v.string(),
  project: v.string(),
  target: TargetInfoSchema,
  direction: v.picklist(["up", "down"]),
  /** "running" until the run ends: a record left "running" by a dead controller was cut short. */
  status: v.picklist(["running", "ok", "failed", "interrupted"]),
  startedAt: v.string(),
  updatedAt: v.string(),
  finishedAt: v.optional(v.string()),
  controller: v.object({ host: v.string(), pid: v.number() }),
  /** The plan the run applied (copied under the runs root). */
  plan: v.string(),
  planBasis: v.string(),
  /** Where the plan came from (`--plan FILE`), and for down runs the run they reverse. */
  from: v.optional(v.object({ plan: v.optional(v.string()), run: v.optional(v.string()) })),
  backups: v.optional(v.string()),
  error: v.optional(v.string()),
  changes: v.array(RunChangeSchema),
  /** Digests of the down plans derived from this run (`hostkit down --run/--last`): only those apply. */
  downPlans: v.optional(v.array(DerivedPlanSchema)),
  /** Set when --rollback-on-failure ran a down plan for this run. */
  rollback: v.optional(v.object({ run: v.string(), reason: v.string(), status: v.string() })),
});
export type RunRecord = v.InferOutput<typeof RunRecordSchema>;
export type RunChange = v.InferOutput<typeof RunChangeSchema>;

export interface RunPaths {
  /** Run records and copied plans. */
  root: string;
  /** Backup payloads. */
  backups: string;
}

/**
 * Where runs are kept: `--runs-root`, else the project's `p.runs({ root })` relative to the infra
 * file, else `.hostkit/runs` next to it (or in the working directory without one). Backups default
 * to `hostkit_backups` beside the runs root.
 */
export function runPaths(o: { infraFile?: string; runs?: RunsOptions; runsRoot?: string; backupsRoot?: string }): RunPaths {
  const base = o.infraFile ? dirname(resolve(o.infraFile)) : process.cwd();
  const root = o.runsRoot ? resolve(o.runsRoot) : resolve(base, o.runs?.root ?? ".hostkit/runs");
  const backups = o.backupsRoot ? resolve(o.backupsRoot) : o.runs?.backups && !o.runsRoot ? resolve(base, o.runs.backups) : join(dirname(root), "hostkit_backups");
  return { root, backups };
}

/** Same target: kind, name and where it points (not the user or sudo it connects with). */
export function sameTarget(a: TargetInfo, b: TargetInfo): boolean {
  return a.transport === b.transport && a.name === b.name && (a.root ?? "") === (b.root ?? "") && (a.host ?? "") === (b.host ?? "") && (a.port ?? 22) === (b.port ?? 22);
}

/** "ok", "failed", "interrupted", "running", or "cut short" (still "running" but its controller is gone). */
export function displayStatus(r: RunRecord): string {
  if (r.status !== "running") return r.status;
  return r.controller.host === hostname() && !pidAlive(r.controller.pid) ? "cut short" : "running";
}

const stamp = (now: Date) => now.toISOString();

export class RunStore {
  constructor(readonly paths: RunPaths) {}

  dir(id: string): string {
    return join(this.paths.root, id);
  }

  /** Claim a new run id (a directory created atomically; `-2`, `-3`… when one, or its backup directory, exists in the same second). */
  claim(project: string, direction: string, now = new Date()): string {
    const base = newRunId(project, direction, now);
    // Run directories are the user's only (0700): their plans and records name what changed where.
    makePrivateDir(this.paths.root);
    for (let n = 1; n < 1000; n++) {
      const id = n === 1 ? base : `${base}-${n}`;
      // Runs roots may share a backups root: an id whose backup directory is taken is taken.
      if (existsSync(join(this.paths.backups, id))) continue;
      try {
        mkdirSync(this.dir(id), { mode: 0o700 });
        chmodSync(this.dir(id), 0o700);
        return id;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    throw new HostKitError({ message: `could not claim a run id under ${this.paths.root}` });
  }

  /** Start a record: copy the plan beside it and write the record with every change pending. */
  start(id: string, plan: Plan, o: { planFile?: string; backups?: string; now?: Date } = {}): RunRecord {
    const planPath = join(this.dir(id), "plan.json");
    writePlanFile(planPath, plan);
    const now = stamp(o.now ?? new Date());
    const from = { ...(o.planFile ? { plan: resolve(o.planFile) } : {}), ...(plan.from?.run ? { run: plan.from.run } : {}) };
    const record: RunRecord = {
      formatVersion: RUN_FORMAT_VERSION,
      kind: "hostkit.run",
      id,
      project: plan.project,
      target: plan.target,
      direction: plan.direction,
      status: "running",
      startedAt: now,
      updatedAt: now,
      controller: { host: hostname(), pid: process.pid },
      plan: planPath,
      planBasis: plan.basis,
      ...(Object.keys(from).length ? { from } : {}),
      ...(o.backups ? { backups: o.backups } : {}),
      changes: plan.changes.filter((c) => c.action !== "noop").map((c) => ({ key: c.key, action: c.action, status: "pending" as const })),
    };
    this.write(record);
    return record;
  }

  /** Rewrite the record atomically. */
  write(record: RunRecord): void {
    record.updatedAt = stamp(new Date());
    writePrivate(join(this.dir(record.id), "run.json"), `${JSON.stringify(record, null, 2)}\n`);
  }

  read(id: string): RunRecord {
    const path = join(this.dir(id), "run.json");
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new HostKitError({ subject: `run ${id}`, message: existsSync(path) ? `record ${path} is unreadable: ${(e as Error).message}` : `no run record under ${this.paths.root}`, hint: "hostkit runs FILE lists the runs" });
    }
    const res = v.safeParse(RunRecordSchema, raw);
    if (!res.success) throw new HostKitError({ subject: `run record ${path}`, message: `is malformed: ${res.issues[0].message}` });
    return res.output;
  }

  /** Every readable record, oldest first; filtered by project and target when given. */
  list(filter: { project?: string; target?: TargetInfo } = {}): RunRecord[] {
    if (!existsSync(this.paths.root)) return [];
    const out: RunRecord[] = [];
    for (const id of readdirSync(this.paths.root)) {
      if (!existsSync(join(this.dir(id), "run.json"))) continue;
      let r: RunRecord;
      try {
        r = this.read(id);
      } catch {
        continue;
      }
      // A record names its own directory: one that claims another id (e.g. "../..") is not a run here.
      if (r.id !== id) continue;
      if (filter.project && r.project !== filter.project) continue;
      if (filter.target && !sameTarget(r.target, filter.target)) continue;
      out.push(r);
    }
    return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id, undefined, { numeric: true }));
  }

  /** The newest up run (the one `down --last` reverses). */
  lastUp(filter: { project?: string; target?: TargetInfo }): RunRecord | undefined {
    return this.list(filter).filter((r) => r.direction === "up").pop();
  }

  /** Remove all but the newest `keep` runs: their records, copied plans and backup payloads. */
  prune(keep: number, filter: { project?: string; target?: TargetInfo }): RunRecord[] {
    const all = this.list(filter);
    const drop = all.slice(0, Math.max(0, all.length - keep));
    for (const r of drop) {
      rmSync(this.dir(r.id), { recursive: true, force: true });
      // Only ever this run's own directory under the backups root, whatever the record says.
      removeOwnDir(join(this.paths.backups, r.id));
    }
    return drop;
  }
}
