/**
 * The plan artifact: versioned, inspectable JSON that is safe to commit (secret values never appear,
 * only `{"$secret": {"env": NAME}}` references). Its schema is the authority (`hostkit schema plan`).
 */
import * as v from "valibot";
import { ResourceSchema } from "../kinds/registry.ts";
import type { ResourceBase } from "./resource.ts";
import { ManagedStateSchema } from "./managed.ts";

export const PLAN_FORMAT_VERSION = 1;

export const ChangeActionSchema = v.picklist(["create", "update", "delete", "run", "noop"]);
export type ChangeAction = v.InferOutput<typeof ChangeActionSchema>;

/** One change of a plan. Declared (not inferred) so that kinds can name it without a type cycle through the registry. */
export interface Change {
  key: string;
  type: string;
  id: string;
  action: ChangeAction;
  reason: string;
  source?: string;
  service?: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  /** The declared resource; its kind (`kindOf(change.type)`) knows its exact shape. */
  resource?: ResourceBase & Record<string, unknown>;
  basis?: string;
  down?: unknown;
  warning?: string;
}

export const ChangeSchema: v.GenericSchema<unknown, Change> = v.object({
  /** `type:id`, as used by `--ignore` and `--only`. */
  key: v.string(),
  type: v.string(),
  id: v.string(),
  action: ChangeActionSchema,
  /** Why: "content differs", "not enabled", "service web changed"… */
  reason: v.string(),
  /** Infra file:line of the declaration. */
  source: v.optional(v.string()),
  service: v.optional(v.string()),
  /** What the probe saw (a down plan is built from before/after alone). */
  before: v.optional(v.record(v.string(), v.unknown())),
  /** The state this change converges to. */
  after: v.optional(v.record(v.string(), v.unknown())),
  /** The declared resource (what apply converges to). Absent for derived steps (reload, start). */
  resource: v.optional(ResourceSchema),
  /** Digest of the facts this change was planned against. */
  basis: v.optional(v.string()),
  /** Commands: the semantic opposite recorded for down plans. */
  down: v.optional(v.unknown()),
  /** Why this change carries a warning (e.g. irreversible). */
  warning: v.optional(v.string()),
}) as never;

export const TargetInfoSchema = v.object({
  name: v.string(),
  transport: v.picklist(["local", "ssh", "root"]),
  host: v.optional(v.string()),
  port: v.optional(v.number()),
  user: v.optional(v.string()),
  sudo: v.optional(v.boolean()),
  root: v.optional(v.string()),
});
export type TargetInfo = v.InferOutput<typeof TargetInfoSchema>;

const PLAN_ENTRIES = {
  formatVersion: v.literal(PLAN_FORMAT_VERSION),
  kind: v.literal("hostkit.plan"),
  direction: v.picklist(["up", "down"]),
  project: v.string(),
  target: TargetInfoSchema,
  createdAt: v.string(),
  /** Digest over every change's basis. */
  basis: v.string(),
  changes: v.array(ChangeSchema),
  /** Noops are left out of the saved file but counted here. */
  summary: v.object({ create: v.number(), update: v.number(), delete: v.number(), run: v.number(), noop: v.number() }),
  warnings: v.array(v.string()),
  /** Keys of declared resources this build could not plan (see a kind's `unplanned`): never "nothing to change". */
  incomplete: v.optional(v.array(v.string())),
  /** `--no-prune`: resources no longer declared were not planned for deletion. */
  prune: v.optional(v.boolean()),
  /** `apply --rotate-secrets`: env files were planned as rewrites even where they matched. */
  rotateSecrets: v.optional(v.boolean()),
  /**
   * The managed-resources record a successful apply of this plan writes on the host as its final step
   * (model/managed.ts), and the one it replaces (`null`: there was none), which a down plan writes back.
   */
  managed: v.optional(v.object({ record: ManagedStateSchema, previous: v.nullable(ManagedStateSchema) })),
  /** Set on down plans: the plan (or run) this one reverses. */
  from: v.optional(v.object({ plan: v.optional(v.string()), run: v.optional(v.string()), basis: v.optional(v.string()) })),
};

export const PlanSchema = v.object({
  ...PLAN_ENTRIES,
  /**
   * Set on the saved plan of an instance (`plan --instance NAME --out`): the plan of its nested host,
   * applied after the instance's. `preview`: the nested host could not be read (the instance does not
   * exist yet or changes first), so its contents are listed as creates and planned again once it
   * answers (src/instances/saved-pair.ts checks that re-plan against this list).
   */
  nested: v.optional(v.object({ preview: v.boolean(), plan: v.object(PLAN_ENTRIES) })),
});
export type Plan = v.InferOutput<typeof PlanSchema>;

/** A plan with its envelope (format version, kind, creation time) filled in. */
export function makePlan(p: Omit<Plan, "formatVersion" | "kind" | "createdAt"> & { now?: Date }): Plan {
  const { now, ...rest } = p;
  return { formatVersion: PLAN_FORMAT_VERSION, kind: "hostkit.plan", ...rest, createdAt: (now ?? new Date()).toISOString().replace(/\.\d+Z$/, "Z") };
}

export function summarize(changes: readonly Pick<Change, "action">[], extraNoops = 0): Plan["summary"] {
  const s = { create: 0, update: 0, delete: 0, run: 0, noop: extraNoops };
  for (const c of changes) s[c.action]++;
  return s;
}

export function hasChanges(plan: Pick<Plan, "changes">): boolean {
  return plan.changes.some((c) => c.action !== "noop");
}

/** What `--detailed-exitcode` reports: changes, or declared resources this build could not plan. */
export function needsAttention(plan: Pick<Plan, "changes" | "incomplete">): boolean {
  return hasChanges(plan) || !!plan.incomplete?.length;
}
