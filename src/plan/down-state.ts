/**
 * The state an applied change leaves a resource in, reduced to what a re-read of the host can
 * confirm. A down plan's changes carry the digest of that state as their basis, so applying a down
 * plan refuses it when the host no longer looks the way the up plan left it (someone changed it
 * since). The same projection is computed from the probe's facts when the down plan is applied.
 *
 * Only stable, declared properties take part: content hashes, owner, group, mode, enablement and the
 * non-secret `set` entries of env files; never sizes (env files hold secrets, directories vary),
 * never whether a unit is active right now.
 */
import type { Change, Plan } from "../model/plan.ts";
import type { Resource } from "../model/resource.ts";
import type { TargetCtx } from "../kinds/types.ts";
import type { Runner } from "../targets/runner.ts";
import { digest } from "./digest.ts";
import { probeAll } from "./probe.ts";

type Rec = Record<string, unknown>;

/** The settled state after `change` was applied (from its `after`), or undefined when nothing can be confirmed. */
export function settledState(change: Pick<Change, "type" | "action" | "after">): Rec | undefined {
  if (change.action === "delete") return { exists: false };
  if (change.action !== "create" && change.action !== "update") return undefined;
  const a = (change.after ?? {}) as Rec;
  switch (change.type) {
    case "file":
      return { exists: true, sha256: a.sha256, owner: a.owner, group: a.group, mode: a.mode };
    case "env_file": {
      const set = (a.set ?? {}) as Record<string, string>;
      const secret = (a.secret ?? {}) as Rec;
      const keys = [...new Set([...Object.keys(set), ...Object.keys(secret)])].sort();
      return { exists: true, owner: a.owner, group: a.group, mode: a.mode, set, keys };
    }
    case "systemd_service":
    case "systemd_timer":
      return { exists: true, sha256: a.sha256, enabled: a.enabled === "enabled" };
    case "directory":
      return { exists: true, directory: true, owner: a.owner, group: a.group, mode: a.mode };
    case "account":
      return { exists: true };
    default:
      return undefined;
  }
}

/** The same projection, from a fact the probe read. */
export function observedState(type: string, fact: unknown): Rec | undefined {
  const f = (fact ?? {}) as Rec;
  switch (type) {
    case "file":
      if (!f.exists) return { exists: false };
      if (f.fileType !== "regular file") return { exists: true, fileType: f.fileType };
      return { exists: true, sha256: f.sha256, owner: f.owner, group: f.group, mode: f.mode };
    case "env_file":
      if (!f.exists) return { exists: false };
      return { exists: true, owner: f.owner, group: f.group, mode: f.mode, set: f.set, keys: f.keys };
    case "systemd_service":
    case "systemd_timer":
      return f.exists ? { exists: true, sha256: f.sha256, enabled: f.enabled === "enabled" } : { exists: false };
    case "directory":
      if (!f.exists) return { exists: false };
      return { exists: true, directory: f.fileType === "directory", owner: f.owner, group: f.group, mode: f.mode };
    case "account":
      return { exists: !!f.account };
    default:
      return undefined;
  }
}

export function stateBasis(key: string, state: Rec): string {
  return digest({ key, settled: state });
}

/**
 * The resource to probe for a down change. Env files are read for the keys the up plan set (kept
 * in the down change's `before`), so the observed `set` compares with the settled one.
 */
function probeResource(c: Change): Resource {
  const r = c.resource as Resource;
  if (r.type !== "env_file") return r;
  return { ...r, set: ((c.before as Rec | undefined)?.set ?? {}) as Record<string, string> };
}

/** Re-read the host and list the down plan's changes whose resource is no longer as the up plan left it. */
export async function findDownDrift(plan: Plan, runner: Runner, ctx: TargetCtx): Promise<{ key: string; reason: string }[]> {
  const checked = plan.changes.filter((c) => c.resource && c.basis && c.action !== "noop");
  if (!checked.length) return [];
  const { observed } = await probeAll(checked.map(probeResource), runner, ctx);
  const drift: { key: string; reason: string }[] = [];
  for (const [i, c] of checked.entries()) {
    const state = observedState(c.type, observed[i]!.fact);
    if (!state || stateBasis(c.key, state) !== c.basis) {
      drift.push({ key: c.key, reason: `is no longer as ${plan.from?.run ? `run ${plan.from.run}` : "the up plan"} left it` });
    }
  }
  return drift;
}
