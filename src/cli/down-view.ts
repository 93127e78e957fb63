/**
 * @internal What `down` shows and recognises beyond the plan itself:
 * - a down plan from a tracked run restores file and unit content from backups (`{"$backup": …}`
 *   references); for the human view the reference is replaced by the backed-up text, so the diff
 *   is the same as any plan's (env files are left alone: their backups hold secret values);
 * - a down plan that was already applied: every change's resource is already as the down plan
 *   leaves it ("run X was already rolled back"), which is not the same as a stale plan.
 */
import type { Change, Plan } from "../model/plan.ts";
import type { Resource } from "../model/resource.ts";
import type { BackupId, TargetCtx } from "../kinds/types.ts";
import type { Runner } from "../targets/runner.ts";
import type { RunStore } from "../artifacts/runs.ts";
import { readBackup, type BackupStore } from "../apply/backups.ts";
import { kindOf } from "../kinds/registry.ts";
import { privateContentReason } from "../kinds/file.ts";
import { probeAll } from "../plan/probe.ts";
import { observedState, settledState, stateBasis } from "../plan/down-state.ts";
import { HostKitError } from "../model/errors.ts";

type Rec = Record<string, unknown>;

function backupText(content: unknown, store: BackupStore): string | undefined {
  const ref = (content as { $backup?: BackupId } | undefined)?.$backup;
  if (!ref) return undefined;
  try {
    const bytes = readBackup(store, ref);
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return text.includes("\0") ? undefined : text;
  } catch {
    return undefined; // missing or altered backups are refused when the plan is applied
  }
}

/** A copy of the plan for display: backed-up previous content (of the run's own backups) inlined where it is text. */
export function withBackupText(plan: Plan, store: BackupStore | undefined): Plan {
  if (!store) return plan;
  const changes = plan.changes.map((c): Change => {
    const kind = kindOf(c.type);
    if (!kind?.contentPath || kind.backupIsSecret) return c;
    const after = c.after as Rec | undefined;
    const text = backupText(after?.content, store);
    if (text === undefined) return c;
    // Shown only where a plan would show it: never an env file HostKit wrote, nor a file others cannot read (secrets).
    if (privateContentReason({ exists: true, content: text, ...(typeof after?.mode === "number" ? { mode: after.mode } : {}) })) return c;
    // A resource that declares its content (a file) shows the restored text as its content too.
    return { ...c, after: { ...after, content: text } };
  });
  return { ...plan, changes };
}

/** True when every change of a down plan is already as the plan leaves it on the target. */
export async function downAlreadyApplied(plan: Plan, runner: Runner, ctx: TargetCtx): Promise<boolean> {
  if (plan.direction !== "down") return false;
  const checked = plan.changes.filter((c) => c.resource && c.action !== "noop" && settledState(c));
  if (!checked.length) return false;
  const { observed } = await probeAll(checked.map((c) => c.resource as Resource), runner, ctx);
  return checked.every((c, i) => {
    const want = settledState(c)!;
    const got = observedState(c.type, observed[i]!.fact);
    if (!got) return false;
    // Compare only what the down plan settles (a restored file's content hash, owner, group, mode…).
    const picked = Object.fromEntries(Object.keys(want).filter((k) => want[k] !== undefined).map((k) => [k, got[k]]));
    const wanted = Object.fromEntries(Object.entries(want).filter(([, val]) => val !== undefined));
    return stateBasis(c.key, picked) === stateBasis(c.key, wanted);
  });
}

/** The error for a down plan that was already applied, naming the run that did it when one is recorded. */
export function alreadyRolledBack(plan: Plan, planFile: string | undefined, store?: RunStore): HostKitError {
  const run = plan.from?.run;
  const by = run && store ? store.list({ project: plan.project }).find((r) => r.direction === "down" && r.status === "ok" && r.from?.run === run) : undefined;
  const what = run ? `run ${run} was already rolled back${by ? ` by run ${by.id}` : ""}` : `${planFile ? `plan ${planFile}` : "this down plan"} was already applied`;
  return new HostKitError({ message: `${what}: the target is already as this down plan leaves it; nothing to do`, hint: "hostkit plan FILE shows the target's state against the infra file" });
}
