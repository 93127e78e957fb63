/**
 * The host lock: a directory created atomically on the target (/run/hostkit.lock, cleared at boot),
 * holding who took it: run id, controller host, pid, time. A second apply is refused naming the
 * holder; a holder that is provably gone (same controller, dead pid) is reported as stale and can be
 * broken explicitly with --break-lock.
 */
import { hostname } from "node:os";
import { dirname, basename } from "node:path";
import { HostKitError } from "../model/errors.ts";
import type { TargetCtx } from "../model/kind.ts";
import { text, type Runner } from "../targets/runner.ts";

/**
 * The host lock. Args: LOCKDIR HOLDER(json). Prints "acquired", or exits 3 printing the holder.
 * mkdir is atomic, so exactly one of two concurrent applies wins.
 */
export const ACQUIRE_LOCK = `set -u
lock=$1 holder=$2
mkdir -p -- "\${lock%/*}"
if mkdir -- "$lock" 2>/dev/null; then printf '%s\\n' "$holder" > "$lock/holder"; echo acquired; exit 0; fi
cat -- "$lock/holder" 2>/dev/null || echo '{}'
exit 3
`;

/** Release only a lock we hold. Args: LOCKDIR RUNID. */
export const RELEASE_LOCK = `set -u
lock=$1 run=$2
if grep -q -F -- "\\"runId\\":\\"$run\\"" "$lock/holder" 2>/dev/null; then rm -rf -- "$lock"; fi
`;

export interface LockHolder {
  runId: string;
  host: string;
  pid: number;
  startedAt: string;
}

/** Offline trees are locked beside the tree, so the tree holds exactly what was declared. */
export function lockPath(ctx: TargetCtx): string {
  if (!ctx.root) return "/run/hostkit.lock";
  const root = ctx.root.replace(/\/+$/, "");
  return `${dirname(root)}/.${basename(root)}.hostkit.lock`;
}

/** Is this process (on this machine) still running? */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function isStale(h: LockHolder): boolean {
  return h.host === hostname() && !pidAlive(h.pid);
}

export async function acquireLock(runner: Runner, ctx: TargetCtx, runId: string, opts: { breakStale?: boolean } = {}): Promise<LockHolder> {
  const me: LockHolder = { runId, host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };
  const path = lockPath(ctx);
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await runner.exec(["sh", "-c", ACQUIRE_LOCK, "hostkit-lock", path, JSON.stringify(me)]);
    if (res.code === 0) return me;
    if (res.code !== 3) throw new HostKitError({ subject: runner.description, message: `could not take the host lock ${path}: ${text(res.stderr).trim()}` });
    let holder: Partial<LockHolder> = {};
    try {
      holder = JSON.parse(text(res.stdout).trim()) as LockHolder;
    } catch {
      /* unreadable holder: reported below */
    }
    const stale = holder.pid !== undefined && isStale(holder as LockHolder);
    if (stale && opts.breakStale && attempt === 0) {
      await runner.exec(["rm", "-rf", "--", path]);
      continue;
    }
    const who = holder.runId ? `run ${holder.runId} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})` : "an unknown holder";
    throw new HostKitError({
      subject: runner.description,
      message: stale ? `the host lock is stale: ${who} is gone` : `another apply holds the host lock: ${who}`,
      hint: stale ? "break it with --break-lock" : `wait for it to finish; if you are sure it is gone, remove ${path} on the target`,
    });
  }
  throw new HostKitError({ subject: runner.description, message: "could not take the host lock" });
}

export async function releaseLock(runner: Runner, ctx: TargetCtx, runId: string): Promise<void> {
  await runner.exec(["sh", "-c", RELEASE_LOCK, "hostkit-unlock", lockPath(ctx), runId]);
}
