/**
 * Runs: an apply, optionally tracked (a run record written as the run goes, the applied plan copied
 * beside it, backups of previous file-like content), optionally rolled back on failure: when a change
 * fails, or a service the run (re)started is not active a little later, the down plan of what this
 * run applied is applied at once. A rollback is never a success.
 */
import { join } from "node:path";
import { HostKitError } from "../model/errors.ts";
import { hasChanges, type Plan } from "../model/plan.ts";
import type { TargetCtx } from "../model/kind.ts";
import { down } from "../plan/down.ts";
import { text, type Runner } from "../targets/runner.ts";
import type { RunRecord, RunStore } from "../artifacts/runs.ts";
import { applyPlan, type ApplyEvent, type ApplyResult } from "./applier.ts";
import { RunBackups, type BackupStore } from "./backups.ts";
import type { SecretResolver } from "./secrets.ts";
import { SERVICE_STATE } from "../kinds/systemd-steps.ts";

export type RunEvent =
  | { type: "run.record"; runId: string; path: string }
  | { type: "rollback.start"; runId: string; reason: string; changes: number }
  | { type: "rollback.done"; runId: string; rollbackRunId?: string; status: string };

export interface RunOptions {
  runner: Runner;
  ctx: TargetCtx;
  onEvent?: (e: ApplyEvent | RunEvent) => void;
  signal?: AbortSignal;
  breakLock?: boolean;
  resolver?: SecretResolver;
  /** See ApplyOptions.underLock: checks made while the host lock is held (the up run only). */
  underLock?: () => Promise<void>;
  /** Write a run record (and backups) into this store. */
  track?: { store: RunStore; planFile?: string };
  /** For a down plan: the run whose backup payloads its `$backup` references name. */
  backups?: BackupStore;
  /** See ApplyOptions.reconnect. */
  reconnect?: (timeoutMs: number) => Promise<void>;
  /** false: no batched ops (every change runs its own ops); see ApplyOptions.batch. */
  batch?: boolean;
  /** Roll back what the run applied when a change fails or a (re)started service is not active `waitMs` later. */
  rollbackOnFailure?: { waitMs: number };
}

export interface RunOutcome extends ApplyResult {
  /** The run record, when tracked. */
  record?: string;
  /** Why the run was rolled back. */
  failure?: string;
  rollback?: { plan: Plan; result?: RunOutcome; error?: string };
}

interface Applied {
  result: ApplyResult;
  backups?: RunBackups;
  record?: RunRecord;
}

const now = () => new Date().toISOString();

async function applyTracked(plan: Plan, o: RunOptions): Promise<Applied> {
  const base = { runner: o.runner, ctx: o.ctx, ...(o.signal ? { signal: o.signal } : {}), ...(o.breakLock ? { breakLock: true } : {}), ...(o.resolver ? { resolver: o.resolver } : {}), ...(o.underLock ? { underLock: o.underLock } : {}), ...(o.backups ? { backups: o.backups } : {}), ...(o.reconnect ? { reconnect: o.reconnect } : {}), ...(o.batch === false ? { batch: false } : {}) };
  if (!o.track) return { result: await applyPlan(plan, { ...base, ...(o.onEvent ? { onEvent: o.onEvent } : {}) }) };
  const { store } = o.track;
  const id = store.claim(plan.project, plan.direction);
  const backups = new RunBackups(join(store.paths.backups, id), id, o.runner, o.ctx);
  const record = store.start(id, plan, { ...(o.track.planFile ? { planFile: o.track.planFile } : {}), backups: backups.dir });
  o.onEvent?.({ type: "run.record", runId: id, path: join(store.dir(id), "run.json") });
  const byKey = new Map(record.changes.map((c) => [c.key, c]));
  const onEvent = (e: ApplyEvent) => {
    const c = "key" in e ? byKey.get(e.key) : undefined;
    // Recorded (fsync'd) before the change's ops run: if this process dies now, the record says the
    // change may have landed ("started"), never that it was not applied.
    if (c && e.type === "change.start") {
      c.status = "started";
      store.write(record);
    }
    if (c && e.type === "change.done") Object.assign(c, { status: e.status, ms: e.ms });
    if (c && e.type === "change.failed") Object.assign(c, { status: "failed", error: e.error });
    if (c && (e.type === "change.done" || e.type === "change.failed")) store.write(record);
    o.onEvent?.(e);
  };
  const beforeChange = async (change: Plan["changes"][number]) => {
    const entry = await backups.take(change);
    const c = byKey.get(change.key);
    if (entry && c) {
      c.backup = entry;
      store.write(record);
    }
  };
  let result: ApplyResult;
  try {
    result = await applyPlan(plan, { ...base, runId: id, onEvent, beforeChange });
  } catch (e) {
    for (const c of record.changes) if (c.status === "started") c.status = "unknown";
    Object.assign(record, { status: "failed", error: (e as Error).message, finishedAt: now() });
    store.write(record);
    throw e;
  }
  for (const r of result.results) Object.assign(byKey.get(r.key) ?? {}, { status: r.status, ...(r.error ? { error: r.error } : {}), ...(r.ms !== undefined ? { ms: r.ms } : {}) });
  if (!Object.keys(backups.refs).length) delete record.backups;
  Object.assign(record, { status: result.status, finishedAt: now() });
  store.write(record);
  return { result, backups, record };
}

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new HostKitError({ key: "--rollback-wait", message: `${JSON.stringify(s)} is not a duration`, hint: "e.g. 3s, 500ms, 1m" });
  const n = Number(m[1]);
  return Math.round(m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000);
}

/** Units this run started or restarted that are not active `waitMs` later ("unit: state" lines), or undefined. */
async function inactiveUnits(plan: Plan, result: ApplyResult, o: RunOptions, waitMs: number): Promise<string | undefined> {
  if (o.ctx.root) return undefined;
  const applied = new Set(result.results.filter((r) => r.status === "applied").map((r) => r.key));
  const units = plan.changes.filter((c) => c.type === SERVICE_STATE && applied.has(c.key)).map((c) => (c.after as { unit: string }).unit);
  if (!units.length) return undefined;
  await new Promise((r) => setTimeout(r, waitMs));
  const res = await o.runner.exec(["systemctl", "is-active", "--", ...units]);
  const states = text(res.stdout).trim().split("\n");
  const bad = units.map((u, i) => [u, states[i] ?? "unknown"] as const).filter(([, s]) => s !== "active");
  return bad.length ? `${bad.map(([u, s]) => `${u} is ${s}`).join(", ")} ${waitMs / 1000}s after the run` : undefined;
}

/**
 * Apply a plan as a run.
 * @example
 * const out = await runPlan(plan, { runner, ctx: {}, track: { store }, rollbackOnFailure: { waitMs: 3000 } });
 */
export async function runPlan(plan: Plan, o: RunOptions): Promise<RunOutcome> {
  const first = await applyTracked(plan, o);
  const out: RunOutcome = { ...first.result, ...(first.record ? { record: join(o.track!.store.dir(first.record.id), "run.json") } : {}) };
  if (!o.rollbackOnFailure || plan.direction !== "up" || first.result.status === "interrupted") return out;
  const failed = first.result.results.find((r) => r.status === "failed");
  const failure = failed ? `${failed.key} failed: ${failed.error ?? "error"}` : await inactiveUnits(plan, first.result, o, o.rollbackOnFailure.waitMs);
  if (!failure) return out;
  out.failure = failure;
  out.status = "failed";
  const downPlan = down(plan, { results: first.result.results, backups: first.backups?.refs ?? {}, run: first.result.runId });
  out.rollback = { plan: downPlan };
  o.onEvent?.({ type: "rollback.start", runId: first.result.runId, reason: failure, changes: downPlan.changes.length });
  if (hasChanges(downPlan)) {
    try {
      const backups = first.backups ? { backups: { run: first.result.runId, dir: first.backups.dir } } : {};
      out.rollback.result = await runPlan(downPlan, { ...o, rollbackOnFailure: undefined, underLock: undefined, ...backups, ...(o.track ? { track: { store: o.track.store } } : {}) });
    } catch (e) {
      out.rollback.error = (e as Error).message;
    }
  }
  const status = out.rollback.error ? "error" : (out.rollback.result?.status ?? "nothing to roll back");
  if (first.record && o.track) {
    // A rollback is never a success: the record says the run failed, and why.
    Object.assign(first.record, { status: "failed", error: failure });
    first.record.rollback = { run: out.rollback.result?.runId ?? "", reason: failure, status };
    o.track.store.write(first.record);
  }
  o.onEvent?.({ type: "rollback.done", runId: first.result.runId, ...(out.rollback.result ? { rollbackRunId: out.rollback.result.runId } : {}), status });
  return out;
}

