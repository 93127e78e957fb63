/**
 * An instance and the host inside it, as one plan and one apply: the instance is planned on its
 * controller target (this machine; the backend's one state read), then the nested host through its
 * own SSH endpoint, which is contacted only when the instance already answers there. Apply takes
 * the instance first (create, expose, seed, bounded SSH wait), then plans the nested host again
 * (now readable) and applies it in the same run. Each part is an ordinary plan and run, with its
 * own target, lock and run record: `down --last --instance NAME` reverses the instance's run,
 * `down --last --host NESTED` the contents'.
 */
import type { CompiledProject } from "../compile/index.ts";
import type { Plan } from "../model/plan.ts";
import { resourceKey, type Resource } from "../model/resource.ts";
import { planHost, forTarget } from "../plan/planner.ts";
import { planUnreached } from "../plan/unreached.ts";
import type { TargetSpec } from "../targets/resolve.ts";
import type { Runner } from "../targets/runner.ts";

export interface PairPlans {
  controller: Plan;
  nested?: Plan;
  /** The nested plan was made without reading the nested host (it is re-planned at apply). */
  nestedPreview: boolean;
}

function only(ignore: readonly string[], rs: readonly Resource[]): string[] {
  const keys = new Set(rs.map(resourceKey));
  return ignore.filter((k) => keys.has(k));
}

/** Why the nested host cannot be read before the instance change is applied, or undefined. */
export function unreadableBecause(controller: Plan): string | undefined {
  for (const c of controller.changes) {
    if (c.type !== "instance" || c.action === "noop") continue;
    if ((c.after as { contentsReadable?: boolean } | undefined)?.contentsReadable === false) return c.action === "create" ? `instance ${c.id} does not exist yet: created after it` : `instance ${c.id} changes first (${c.reason})`;
  }
  return undefined;
}

export async function planController(t: TargetSpec, project: CompiledProject, ignore: readonly string[]): Promise<Plan> {
  const pair = t.pair!;
  const resources = project.resources.filter((r) => r.host === pair.instance);
  const runner = await pair.controller.open();
  try {
    return await planHost({ project: project.project, resources, runner, ctx: pair.controller.ctx, target: pair.controller.info, ignore: only(ignore, resources) });
  } finally {
    await runner.close();
  }
}

export async function planNested(nested: TargetSpec, project: CompiledProject, ignore: readonly string[], runner: Runner): Promise<Plan> {
  const resources = forTarget(project.resources, nested.info, []);
  return planHost({ project: project.project, resources: project.resources, runner, ctx: nested.ctx, target: nested.info, ignore: only(ignore, resources) });
}

/** The plans of an instance target: the instance, then (read only when it answers) its nested host. */
export async function planPair(t: TargetSpec, project: CompiledProject, ignore: readonly string[]): Promise<PairPlans> {
  const pair = t.pair!;
  const controller = await planController(t, project, ignore);
  if (!pair.nested) return { controller, nestedPreview: false };
  const why = unreadableBecause(controller);
  if (why) {
    const resources = forTarget(project.resources, pair.nested.info, []);
    return { controller, nested: planUnreached({ project: project.project, resources: project.resources, target: pair.nested.info, ignore: only(ignore, resources), why }), nestedPreview: true };
  }
  const runner = await pair.nested.open();
  try {
    return { controller, nested: await planNested(pair.nested, project, ignore, runner), nestedPreview: false };
  } finally {
    await runner.close();
  }
}
