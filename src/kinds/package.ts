/**
 * `package`: an OS package. Declared and recorded, but not planned in this build: a plan that has
 * packages carries a warning naming them, and never reports "nothing to change" for them (the
 * planner marks the plan incomplete). The resolver, lock and manager commands are in src/packages/.
 */
import * as v from "valibot";
import { BASE, RollbackSchema } from "../model/resource.ts";
import { defineKind } from "../model/kind.ts";

export const PackageSchema = v.strictObject({
  ...BASE,
  type: v.literal("package"),
  name: v.string(),
  as: v.optional(v.string()),
  manager: v.optional(v.string()),
  update: v.boolean(),
  rollback: RollbackSchema,
});
export type Package = v.InferOutput<typeof PackageSchema>;

export const pkg = defineKind<Package, null>({
  type: "package",
  schema: PackageSchema,
  probe: () => [],
  parse: () => null,
  diff: () => ({ action: "noop", reason: "OS packages are not planned in this build" }),
  ops: () => [],
  down: {
    invert: (c) => ({ kept: `${c.key} (rollback: "${(c.resource as Package | undefined)?.rollback ?? "keep"}")` }),
    settled: () => undefined,
    observed: () => undefined,
  },
  describe: (r) => (r.as ? `as ${r.as}` : ""),
  unplanned: (rs) => `${rs.length} package resource(s) (${rs.map((p) => p.id).join(", ")}) are declared but not planned: OS package management is not part of this build yet`,
});
