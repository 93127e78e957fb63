/**
 * Saved plans of an instance with a nested host (`hostkit plan FILE --instance NAME --out PLAN`): the
 * instance's plan carries its nested host's plan (`plan.nested`). `apply --plan` never trusts it:
 * - the nested part is for the host the infra file declares inside that instance, same project, up;
 * - it claims to be a preview exactly when the instance's own (verified) change says its contents
 *   cannot be read before it (the instance does not exist yet, or must start first);
 * - a READ nested plan is checked like any saved up plan (integrity.ts): each change is the declared
 *   resource, and before anything runs the guest is read again and the plan rebuilt: a guest whose
 *   facts changed since the plan is stale, a change the rebuild does not give is refused;
 * - a PREVIEW (every resource a create; nothing was read) lists declared resources only, each exactly
 *   as declared; once the instance is applied and the guest answers, its contents are planned again
 *   against it, limited to what the preview lists (command steps are derived from the declarations, as
 *   for every plan), and a change the preview does not announce (a prune) is refused before it runs.
 * The signature (when HOSTKIT_PLAN_KEY is set) covers the whole file, the nested part included.
 */
import type { CompiledProject } from "../compile/index.ts";
import { HostKitError } from "../model/errors.ts";
import type { Plan, TargetInfo } from "../model/plan.ts";
import { resourceKey } from "../model/resource.ts";
import type { TargetCtx } from "../model/kind.ts";
import { kindOf } from "../kinds/registry.ts";
import { forTarget } from "../plan/planner.ts";
import { planUnreached } from "../plan/unreached.ts";
import { unreadableBecause } from "../instances/orchestrate.ts";
import { sameTarget } from "../artifacts/runs.ts";
import type { SavedPlan } from "../artifacts/saved-plan.ts";
import type { Runner } from "../targets/runner.ts";
import { isDerived, refuse, resourceDiff, same, verifySavedPlan, type Problem } from "./integrity.ts";

export interface VerifiedNested {
  /** The nested host's plan as saved (shown before anything runs). */
  plan: Plan;
  /** Whether the saved nested plan is a preview (planned again once the guest answers). */
  preview: boolean;
  /** Read plan: read the guest and return the rebuilt plan; throws when stale or not what is declared. */
  check?(runner: Runner, ctx: TargetCtx): Promise<Plan>;
  /** Preview: the keys to leave out when planning the guest again (declared, but not in the saved preview). */
  ignore?: string[];
  /** Preview: refuse a fresh plan holding a change the preview did not list. */
  accept?(fresh: Plan): Plan;
}

const HINT = "make a new plan: hostkit plan FILE --instance NAME --out PLAN";

/**
 * Check the nested part of a saved instance plan against the declarations, before anything runs.
 * Undefined when the plan has no nested part and needs none (a down plan, an instance without a host).
 */
export function verifyNested(o: { saved: SavedPlan; file?: string; project: CompiledProject; instance: string; nested?: TargetInfo }): VerifiedNested | undefined {
  const { plan, path } = o.saved;
  const file = o.file ?? "the infra file";
  const n = plan.nested;
  if (plan.direction === "down") {
    if (n) refuse(path, [{ key: "nested", why: "a down plan carries no nested plan (each host's run is reversed on its own)" }], "it is not a plan hostkit makes", HINT);
    return undefined;
  }
  if (!n) {
    if (o.nested) refuse(path, [{ key: "nested", why: `instance ${o.instance} declares the host ${o.nested.name} inside it, but the plan carries no plan for it` }], `it is not what ${file} declares`, HINT);
    return undefined;
  }
  if (!o.nested) refuse(path, [{ key: "nested", why: `instance ${o.instance} declares no host inside it in ${file}` }], `it is not what ${file} declares`, HINT);
  const target = o.nested;
  const problems: Problem[] = [];
  if (n.plan.direction !== "up") problems.push({ key: "nested.direction", why: "the nested plan of an up plan is an up plan" });
  if (!sameTarget(n.plan.target, target)) problems.push({ key: "nested.target", why: `the nested plan is for ${n.plan.target.name}, but ${file} declares ${target.name} inside instance ${o.instance}` });
  if (n.plan.project !== plan.project) problems.push({ key: "nested.project", why: `the nested plan is for project ${JSON.stringify(n.plan.project)}` });
  // A preview is what planning gives when, and only when, the instance's change comes first.
  const why = unreadableBecause(plan);
  if (!!why !== n.preview) problems.push({ key: "nested.preview", why: n.preview ? `the instance's change does not keep ${target.name} from being read: its contents must be a read plan` : `the instance's change comes first (${why}): its contents can only be a preview` });
  if (problems.length) refuse(path, problems, `its nested plan is not what ${file} declares for ${target.name}`, HINT);
  const nestedPath = `${path} (nested host ${target.name})`;
  if (!n.preview) {
    const v = verifySavedPlan({ saved: { plan: n.plan as Plan, path: nestedPath, signature: o.saved.signature }, file, project: o.project, target, targetChosen: true });
    return { plan: n.plan as Plan, preview: false, check: v.check };
  }
  // Preview: each listed change is the one the declarations give for a guest not read yet.
  const expected = new Map(planUnreached({ project: plan.project, resources: o.project.resources, target, why: why! }).changes.map((c) => [c.key, c]));
  const seen = new Set<string>();
  for (const c of n.plan.changes) {
    const e = expected.get(c.key);
    if (seen.has(c.key)) problems.push({ key: c.key, why: "appears twice" });
    seen.add(c.key);
    if (!e) {
      problems.push({ key: c.key, why: `is not a resource ${file} declares for ${target.name} (command steps are planned once it answers)` });
      continue;
    }
    const fields = (["type", "id", "action", "reason", "before", "after", "down", "basis"] as const).filter((f) => !same(c[f], e[f]));
    const diff = resourceDiff(c.resource, e.resource as never);
    if (fields.length || diff.length) problems.push({ key: c.key, why: `differs from the declaration in: ${[...fields, ...diff.map((d) => `resource.${d}`)].join(", ")}` });
  }
  if (problems.length) refuse(nestedPath, problems, `it is not what ${file} declares`, HINT);
  const listed = new Set(n.plan.changes.map((c) => c.key));
  const declared = forTarget(o.project.resources, target, []);
  return {
    plan: n.plan as Plan,
    preview: true,
    // kinds that plan as steps (commands) are decided when the guest is read, as in an unsaved apply
    ignore: declared.filter((r) => !kindOf(r.type)?.steps && !kindOf(r.type)?.unplanned && !listed.has(resourceKey(r))).map(resourceKey),
    accept(fresh) {
      const extra = fresh.changes.filter((c) => c.action !== "noop" && !isDerived(c) && !listed.has(c.key));
      if (extra.length) {
        throw new HostKitError({
          subject: `plan ${nestedPath}`,
          message: `is refused for ${target.name}: planned against it now that it answers, its contents hold changes the saved plan does not list; nothing was applied on ${target.name}:\n${extra.map((c) => `  ${c.key}: ${c.action} (${c.reason})`).join("\n")}`,
          hint: `the instance stays as applied; see it with hostkit plan FILE --instance ${o.instance}`,
        });
      }
      return fresh;
    },
  };
}
