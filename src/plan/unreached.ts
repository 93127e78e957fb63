/**
 * A plan for a target that cannot be read yet (the host inside an instance that does not exist or
 * does not answer yet): every selected resource is a create, and nothing contacts the target. The
 * real plan is made once the target answers (src/instances/orchestrate.ts applies that one).
 */
import { resourceKey, type Resource } from "../model/resource.ts";
import { formatLoc } from "../model/source.ts";
import { makePlan, summarize, type Change, type Plan, type TargetInfo } from "../model/plan.ts";
import { kindOf } from "../kinds/registry.ts";
import { digest } from "./digest.ts";
import { forTarget, selectResources } from "./planner.ts";

export function planUnreached(o: { project: string; resources: readonly Resource[]; target: TargetInfo; ignore?: readonly string[]; why: string }): Plan {
  const warnings: string[] = [];
  const selected = selectResources(forTarget(o.resources, o.target, warnings), o.ignore);
  // Kinds that plan as steps (commands) or cannot plan yet are decided when the target is read.
  const planned = selected.filter((r) => !kindOf(r.type)?.steps && !kindOf(r.type)?.unplanned);
  const changes: Change[] = planned.map((r) => ({
    key: resourceKey(r),
    type: r.type,
    id: r.id,
    action: "create",
    reason: o.why,
    source: formatLoc(r.source),
    ...(r.service ? { service: r.service } : {}),
    resource: r,
  }));
  warnings.push(`${o.target.name} is not read (${o.why}): every resource is shown as a create; its contents are read and planned again once it answers, in the same apply`);
  const later = selected.length - planned.length;
  if (later) warnings.push(`${later} command/step resource(s) are planned when ${o.target.name} is read`);
  return makePlan({ direction: "up", project: o.project, target: o.target, basis: digest([]), changes, summary: summarize(changes), warnings });
}
