/**
 * The "hostkit" module as programs and infra files import it: the DSL plus the runtime API (the
 * seed's HostKit.load/plan/apply/format_plan/down). Editor types for infra files (`hostkit init`)
 * cover the DSL part, `src/dsl/index.ts`.
 * @example
 * import { load, plan, apply, formatPlan, Target } from "hostkit";
 * const project = await load("infra/config.ts");
 * const p = await plan(project, { target: Target.root("/tmp/image") });
 * console.log(formatPlan(p));
 * await apply(p, { target: Target.root("/tmp/image"), confirm: true });
 */
export * from "./dsl/index.ts";
export { load, plan, apply, down, formatPlan, readPlanFile, writePlanFile, Target, SSH, Firewall } from "./api.ts";
export type { Plan, Change, CompiledProject, DownOptions } from "./api.ts";
