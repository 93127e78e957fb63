/**
 * Apply a plan: check secrets, take the host lock, run each change's ops in order, stop at the first
 * failure and report exactly what was applied and what was not. Events describe progress; the CLI
 * renders them (consola lines or --json).
 */
import type { Change, Plan } from "../model/plan.ts";
import { HostKitError } from "../model/errors.ts";
import type { BatchOp, Op, Payload, TargetCtx } from "../model/kind.ts";
import { streamBytes, text, TransportError, type ExecResult, type Runner } from "../targets/runner.ts";
import { framedStream, payloadStream } from "./payload.ts";
import { batchOps, progressOf, runEnd } from "./batch.ts";
import { acquireLock, releaseLock } from "./lock.ts";
import { opsFor } from "./ops.ts";
import { SecretResolver } from "./secrets.ts";
import type { BackupStore } from "./backups.ts";
import { recordPending, writeRecordOp } from "../plan/managed.ts";

export type ChangeStatus = "applied" | "skipped" | "failed" | "pending";

export interface ChangeResult {
  key: string;
  action: Change["action"];
  status: ChangeStatus;
  error?: string;
  ms?: number;
}

export type ApplyEvent =
  | { type: "apply.start"; runId: string; project: string; target: string; changes: number }
  | { type: "change.start"; key: string; action: Change["action"]; reason: string }
  | { type: "op"; key: string; label: string; skipped?: string }
  | { type: "change.done"; key: string; status: "applied" | "skipped"; ms: number }
  | { type: "change.failed"; key: string; error: string }
  | { type: "apply.done"; runId: string; status: ApplyResult["status"]; applied: number; failed: number; pending: number };

export interface ApplyResult {
  runId: string;
  status: "ok" | "failed" | "interrupted";
  results: ChangeResult[];
}

export interface ApplyOptions {
  runner: Runner;
  ctx: TargetCtx;
  runId?: string;
  onEvent?: (e: ApplyEvent) => void;
  resolver?: SecretResolver;
  /** Abort between changes (Ctrl-C): the current op finishes, the rest stay pending. */
  signal?: AbortSignal;
  breakLock?: boolean;
  /** Called before a change's ops run (backups of previous content go here). */
  beforeChange?: (change: Change) => Promise<void>;
  /**
   * Runs once the host lock is held, before any change (a saved plan's staleness check goes here, so
   * no other apply can slip in between the check and the changes). Throwing releases the lock.
   */
  underLock?: () => Promise<void>;
  /**
   * Opens a NEW connection to the target, runs `true`, closes it (ops with `reconnect`, e.g. after a
   * firewall reload); rejects when that fails within `timeoutMs`. Absent: such ops fail.
   */
  reconnect?: (timeoutMs: number) => Promise<void>;
  /** false: every change runs its own ops, one by one (default: runs of independent changes of a kind with `opsBatch` are batched). */
  batch?: boolean;
  /** The tracked run whose backup payloads a down plan's `$backup` references name (by id, in its own directory). */
  backups?: BackupStore;
}

export function newRunId(project: string, direction: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${project}-${direction}`;
}

/** A payload's bytes, whole (small payloads: tests and callers outside the applier). */
export async function payloadBytes(p: Payload, resolver: SecretResolver, backups?: BackupStore): Promise<Uint8Array> {
  return streamBytes(payloadStream(p, resolver, backups));
}

/** Run one op; its payload is streamed to stdin. Returns the result, or throws as the runner does. */
async function execOp(op: Op, runner: Runner, resolver: SecretResolver, backups?: BackupStore): Promise<ExecResult> {
  const stdin = op.stdin ? framedStream(payloadStream(op.stdin, resolver, backups), op.sizedStdin) : undefined;
  return runner.exec(op.argv, stdin ? { stdin } : {});
}

/** An op's failure as one line: label, exit code, and the command's own (scrubbed) words. */
function opError(op: Op, res: ExecResult, resolver: SecretResolver): string {
  // Scrubbed raw, line by line and joined (see scrubOutput); the label and exit code are ours.
  const err = resolver.scrubOutput(text(res.stderr).trim() || text(res.stdout).trim());
  return `${resolver.scrub(op.label)}: exit ${res.code}${err ? `: ${err}` : ""}`;
}

async function runOp(op: Op, runner: Runner, resolver: SecretResolver, backups?: BackupStore, reconnect?: ApplyOptions["reconnect"]): Promise<string | undefined> {
  if (op.reconnect) {
    if (!reconnect) return `${op.label}: this target cannot open a second connection; ${op.reconnect.failure}`;
    const err = await reconnect(op.reconnect.timeoutMs).then(() => undefined, (e: unknown) => (e as Error)?.message ?? String(e));
    return err === undefined ? undefined : `${op.label}: ${resolver.scrub(err)}; ${op.reconnect.failure}`;
  }
  const res = await execOp(op, runner, resolver, backups);
  return res.code === 0 ? undefined : opError(op, res, resolver);
}

/** An exception while applying, as the one line a result carries. */
function errorLine(e: unknown, resolver: SecretResolver): string {
  return resolver.scrub(e instanceof TransportError ? `connection lost: ${e.message}` : e instanceof HostKitError ? e.message : String((e as Error)?.message ?? e));
}

/**
 * Apply a plan to a target.
 * @example
 * const result = await apply(plan, { runner: localRunner(), ctx: {} });
 */
export async function applyPlan(plan: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  const runId = opts.runId ?? newRunId(plan.project, plan.direction);
  const emit = opts.onEvent ?? (() => {});
  const resolver = opts.resolver ?? new SecretResolver();
  const todo = plan.changes.filter((c) => c.action !== "noop");
  resolver.check(todo);
  const results: ChangeResult[] = todo.map((c) => ({ key: c.key, action: c.action, status: "pending" }));
  // The managed-resources record is written as the final step of a successful apply (plan/managed.ts).
  const writeRecord = plan.managed && recordPending(plan) ? writeRecordOp(plan.managed.record, opts.ctx) : undefined;
  if (!todo.length && !writeRecord) {
    emit({ type: "apply.done", runId, status: "ok", applied: 0, failed: 0, pending: 0 });
    return { runId, status: "ok", results };
  }
  await acquireLock(opts.runner, opts.ctx, runId, { breakStale: opts.breakLock });
  if (opts.underLock) {
    try {
      await opts.underLock();
    } catch (e) {
      await releaseLock(opts.runner, opts.ctx, runId).catch(() => {});
      throw e;
    }
  }
  emit({ type: "apply.start", runId, project: plan.project, target: plan.target.name, changes: todo.length });
  let status: ApplyResult["status"] = "ok";
  const ctx: StepCtx = { opts, emit, resolver, transportLost: false };
  try {
    for (let i = 0; i < todo.length; ) {
      if (opts.signal?.aborted) {
        status = "interrupted";
        break;
      }
      const end = runEnd(todo, i);
      const bops = end - i > 1 && opts.batch !== false ? batchOps(todo.slice(i, end), opts.ctx) : undefined;
      let ok: boolean;
      if (bops) {
        ok = await applyBatch(todo.slice(i, end), results.slice(i, end), bops, ctx);
        // Ctrl-C stopped the batch between two of its ops: the rest of it is not applied.
        if (ok && results.slice(i, end).some((r) => r.status === "pending")) {
          status = "interrupted";
          break;
        }
        i = end;
      } else {
        ok = await applyOne(todo[i]!, results[i]!, ctx);
        i++;
      }
      if (!ok) {
        // A terminal's Ctrl-C reaches the running step too: that is an interrupted run, not a failed one.
        status = opts.signal?.aborted ? "interrupted" : "failed";
        break;
      }
    }
    if (status === "ok" && writeRecord && !opts.signal?.aborted) {
      emit({ type: "op", key: "hostkit:managed", label: writeRecord.label });
      const error = await runOp(writeRecord, opts.runner, resolver, opts.backups);
      if (error) {
        status = "failed";
        emit({ type: "change.failed", key: "hostkit:managed", error });
        results.push({ key: "hostkit:managed", action: "run", status: "failed", error });
      }
    }
  } finally {
    if (!ctx.transportLost) {
      try {
        await releaseLock(opts.runner, opts.ctx, runId);
      } catch {
        /* the connection is gone; the lock is released when it is reported stale */
      }
    }
  }
  const count = (s: ChangeStatus) => results.filter((r) => r.status === s).length;
  emit({ type: "apply.done", runId, status, applied: count("applied") + count("skipped"), failed: count("failed"), pending: count("pending") });
  return { runId, status, results };
}

interface StepCtx {
  opts: ApplyOptions;
  emit: (e: ApplyEvent) => void;
  resolver: SecretResolver;
  transportLost: boolean;
}

/** One change, its ops one after another. Returns false when it failed. */
async function applyOne(change: Change, result: ChangeResult, x: StepCtx): Promise<boolean> {
  const { opts, emit, resolver } = x;
  const t0 = performance.now();
  emit({ type: "change.start", key: change.key, action: change.action, reason: change.reason });
  const ops = opsFor(change, opts.ctx);
  let error: string | undefined;
  let ran = 0;
  try {
    if (opts.beforeChange && ops.some((o) => !o.skip)) await opts.beforeChange(change);
    for (const op of ops) {
      emit({ type: "op", key: change.key, label: op.label, ...(op.skip ? { skipped: op.skip } : {}) });
      if (op.skip) continue;
      ran++;
      error = await runOp(op, opts.runner, resolver, opts.backups, opts.reconnect);
      if (error) break;
    }
  } catch (e) {
    if (e instanceof TransportError) x.transportLost = true;
    error = errorLine(e, resolver);
  }
  const ms = Math.round(performance.now() - t0);
  if (error) {
    Object.assign(result, { status: "failed", error, ms });
    emit({ type: "change.failed", key: change.key, error });
    return false;
  }
  result.status = ran === 0 && ops.length > 0 ? "skipped" : "applied";
  result.ms = ms;
  emit({ type: "change.done", key: change.key, status: result.status === "skipped" ? "skipped" : "applied", ms });
  return true;
}

/**
 * Consecutive independent changes of one kind through its batched ops. Every change is started (and,
 * when tracked, backed up) before the first op runs; each op says how many of the changes it covers it
 * completed. A change is applied when all its ops completed it; on a failure the change the failing op
 * was at fails, changes an op already touched are reported failed as partly applied, the rest stay
 * pending — exactly what happened, change by change.
 */
async function applyBatch(run: Change[], results: ChangeResult[], ops: BatchOp[], x: StepCtx): Promise<boolean> {
  const { opts, emit, resolver } = x;
  const t0 = performance.now();
  const progress = progressOf(run.length, ops);
  const ran = new Array<number>(run.length).fill(0);
  for (const c of run) emit({ type: "change.start", key: c.key, action: c.action, reason: c.reason });
  let error: string | undefined;
  let failedAt: number | undefined;
  try {
    if (opts.beforeChange) {
      const live = new Set(ops.filter((o) => !o.skip).flatMap((o) => o.covers));
      for (const [i, c] of run.entries()) {
        failedAt = i;
        if (live.has(i)) await opts.beforeChange(c);
      }
      failedAt = undefined;
    }
    for (const [k, op] of ops.entries()) {
      // Ctrl-C stops between the ops of a batch, as between changes (the current op finishes).
      if (k > 0 && opts.signal?.aborted) break;
      emit({ type: "op", key: run[op.covers[0]!]!.key, label: op.label, ...(op.skip ? { skipped: op.skip } : {}) });
      let n = op.covers.length;
      if (!op.skip) {
        for (const i of op.covers) ran[i]!++;
        const res = await execOp(op, opts.runner, resolver, opts.backups);
        n = Math.min(op.covers.length, op.completed ? op.completed(res) : res.code === 0 ? op.covers.length : 0);
        // Said in the failing change's own words ("write file /x: exit 4: refusing /x: …").
        const named = op.labelOf && n < op.covers.length ? { ...op, label: op.labelOf(n) } : op;
        if (res.code !== 0) error = opError(named, res, resolver);
        else if (n < op.covers.length) error = `${resolver.scrub(named.label)}: completed ${n} of ${op.covers.length}`;
      }
      for (const i of op.covers.slice(0, n)) progress.done[i]!++;
      if (error) {
        failedAt = op.covers[n] ?? op.covers[0];
        break;
      }
    }
  } catch (e) {
    if (e instanceof TransportError) x.transportLost = true;
    error = errorLine(e, resolver);
    failedAt ??= run.findIndex((_, i) => progress.done[i]! < progress.needed[i]!);
  }
  const ms = Math.round(performance.now() - t0);
  for (const [i, c] of run.entries()) {
    const result = results[i]!;
    if (progress.done[i] === progress.needed[i] && !(error && i === failedAt)) {
      result.status = ran[i] === 0 && progress.needed[i]! > 0 ? "skipped" : "applied";
      result.ms = ms;
      emit({ type: "change.done", key: c.key, status: result.status === "skipped" ? "skipped" : "applied", ms });
    } else if (i === failedAt || progress.done[i]! > 0) {
      const why = i === failedAt ? error! : `partly applied: ${error ? `stopped by the failure of ${run[failedAt ?? 0]!.key}` : "interrupted"}`;
      Object.assign(result, { status: "failed", error: why, ms });
      emit({ type: "change.failed", key: c.key, error: why });
    }
  }
  return !error;
}
