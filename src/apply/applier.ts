/**
 * Apply a plan: check secrets, take the host lock, run each change's ops in order, stop at the first
 * failure and report exactly what was applied and what was not. Events describe progress; the CLI
 * renders them (consola lines or --json).
 */
import type { Change, Plan } from "../model/plan.ts";
import { HostKitError } from "../model/errors.ts";
import type { Op, Payload, TargetCtx } from "../model/kind.ts";
import { renderEnvFile } from "../render/dotenv.ts";
import { text, TransportError, type Runner } from "../targets/runner.ts";
import { acquireLock, releaseLock } from "./lock.ts";
import { opsFor } from "./ops.ts";
import { SecretResolver } from "./secrets.ts";
import { readBackup, type BackupStore } from "./backups.ts";
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
  /** The tracked run whose backup payloads a down plan's `$backup` references name (by id, in its own directory). */
  backups?: BackupStore;
}

export function newRunId(project: string, direction: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${project}-${direction}`;
}

export function payloadBytes(p: Payload, resolver: SecretResolver, backups?: BackupStore): Uint8Array {
  if ("text" in p) return new TextEncoder().encode(p.text);
  if ("base64" in p) return Buffer.from(p.base64, "base64");
  if ("envFile" in p) return new TextEncoder().encode(renderEnvFile(p.envFile, (ref) => resolver.resolve(ref)));
  if ("backup" in p) return readBackup(backups, p.backup);
  throw new HostKitError({ message: `payload ${Object.keys(p)[0]} must be resolved before apply` });
}

/** A sized payload starts with its length on one line, so a write cut short is refused by the target. */
function framed(bytes: Uint8Array, sized: boolean | undefined): Uint8Array {
  if (!sized) return bytes;
  const head = new TextEncoder().encode(`${bytes.length}\n`);
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}

async function runOp(op: Op, runner: Runner, resolver: SecretResolver, backups?: BackupStore, reconnect?: ApplyOptions["reconnect"]): Promise<string | undefined> {
  if (op.reconnect) {
    if (!reconnect) return `${op.label}: this target cannot open a second connection; ${op.reconnect.failure}`;
    const err = await reconnect(op.reconnect.timeoutMs).then(() => undefined, (e: unknown) => (e as Error)?.message ?? String(e));
    return err === undefined ? undefined : `${op.label}: ${resolver.scrub(err)}; ${op.reconnect.failure}`;
  }
  const stdin = op.stdin ? framed(payloadBytes(op.stdin, resolver, backups), op.sizedStdin) : undefined;
  const res = await runner.exec(op.argv, stdin ? { stdin } : {});
  if (res.code === 0) return undefined;
  // Scrubbed raw, line by line and joined (see scrubOutput); the label and exit code are ours.
  const err = resolver.scrubOutput(text(res.stderr).trim() || text(res.stdout).trim());
  return `${resolver.scrub(op.label)}: exit ${res.code}${err ? `: ${err}` : ""}`;
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
  let transportLost = false;
  try {
    for (const [i, change] of todo.entries()) {
      if (opts.signal?.aborted) {
        status = "interrupted";
        break;
      }
      const result = results[i]!;
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
        if (e instanceof TransportError) transportLost = true;
        error = resolver.scrub(e instanceof TransportError ? `connection lost: ${e.message}` : e instanceof HostKitError ? e.message : String((e as Error)?.message ?? e));
      }
      const ms = Math.round(performance.now() - t0);
      if (error) {
        result.status = "failed";
        result.error = error;
        result.ms = ms;
        emit({ type: "change.failed", key: change.key, error });
        // A terminal's Ctrl-C reaches the running step too: that is an interrupted run, not a failed one.
        status = opts.signal?.aborted ? "interrupted" : "failed";
        break;
      }
      result.status = ran === 0 && ops.length > 0 ? "skipped" : "applied";
      result.ms = ms;
      emit({ type: "change.done", key: change.key, status: result.status === "skipped" ? "skipped" : "applied", ms });
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
    if (!transportLost) {
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
