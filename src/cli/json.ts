/**
 * @internal Machine output. Every JSON document HostKit prints carries `kind` and `formatVersion`,
 * and each kind has a valibot schema here (the authority; `hostkit schema NAME` prints it as JSON
 * Schema). Adding a field is compatible; removing or renaming one bumps `formatVersion`.
 *
 *   hostkit.plan    a saved plan (plan --out, down --out/--json, show --json)   schema plan
 *   hostkit.plans   plan --json: one shape for any number of hosts            schema plans
 *   hostkit.dump    dump --json                                               schema dump
 *   hostkit.event   apply --json: one event per line                          schema events
 *   hostkit.runs    runs --json (and runs --prune --json)                     schema runs
 */
import * as v from "valibot";
import { PlanSchema, type Plan } from "../model/plan.ts";
import { SourceLocSchema } from "../model/resource.ts";
import { RESOURCE_SCHEMAS } from "../kinds/registry.ts";
import { RunRecordSchema, type RunRecord } from "../artifacts/runs.ts";

export const JSON_FORMAT_VERSION = 1;

const envelope = <K extends string>(kind: K) => ({ kind: v.literal(kind), formatVersion: v.literal(JSON_FORMAT_VERSION) });

export const PlansSchema = v.object({ ...envelope("hostkit.plans"), plans: v.array(PlanSchema) });

/** A compiled resource as dump prints it: its key first, then the resource itself. */
const DumpResourceSchema = v.variant("type", RESOURCE_SCHEMAS.map((o) => v.strictObject({ key: v.string(), ...(o.entries as v.ObjectEntries) })) as unknown as v.VariantOptions<"type">);

export const DumpSchema = v.object({
  ...envelope("hostkit.dump"),
  project: v.string(),
  source: SourceLocSchema,
  hosts: v.array(v.object({ name: v.string(), source: SourceLocSchema, at: v.string(), ssh: v.record(v.string(), v.unknown()) })),
  runs: v.object({ root: v.optional(v.string()), backups: v.optional(v.string()) }),
  resources: v.array(DumpResourceSchema),
});

const ev = <T extends string, E extends v.ObjectEntries>(type: T, entries: E) =>
  v.object({ ...envelope("hostkit.event"), type: v.literal(type), ...entries });
const Action = v.picklist(["create", "update", "delete", "run", "noop"]);
const Status = v.picklist(["ok", "failed", "interrupted"]);
/** The host the event is about (apply adds it to every event). */
const Prefixed = { target: v.string() };

/** apply --json: the events of a run, in order, one JSON object per line. */
export const EventSchema = v.variant("type", [
  ev("plan", { ...Prefixed, plan: PlanSchema }),
  ev("dry-run", { ...Prefixed, plan: PlanSchema, ops: v.array(v.object({ key: v.string(), ops: v.array(v.object({ label: v.string(), argv: v.array(v.string()), skip: v.optional(v.unknown()) })) })) }),
  ev("apply.start", { ...Prefixed, runId: v.string(), project: v.string(), changes: v.number() }),
  ev("change.start", { ...Prefixed, key: v.string(), action: Action, reason: v.string() }),
  ev("op", { ...Prefixed, key: v.string(), label: v.string(), skipped: v.optional(v.string()) }),
  ev("change.done", { ...Prefixed, key: v.string(), status: v.picklist(["applied", "skipped"]), ms: v.number() }),
  ev("change.failed", { ...Prefixed, key: v.string(), error: v.string() }),
  ev("apply.done", { ...Prefixed, runId: v.string(), status: Status, applied: v.number(), failed: v.number(), pending: v.number() }),
  ev("run.record", { ...Prefixed, runId: v.string(), path: v.string() }),
  ev("rollback.start", { ...Prefixed, runId: v.string(), reason: v.string(), changes: v.number() }),
  ev("rollback.done", { ...Prefixed, runId: v.string(), rollbackRunId: v.optional(v.string()), status: v.string() }),
  ev("ssh.retry", { target: v.string(), attempt: v.number(), attempts: v.number(), delayMs: v.number(), error: v.string() }),
  ev("ssh.failed", { target: v.string(), attempt: v.number(), attempts: v.number(), error: v.string() }),
  ev("ssh.connected", { target: v.string(), ms: v.number(), attempts: v.number() }),
  ev("ssh.hostkey.recorded", { target: v.string(), fingerprint: v.string(), file: v.string() }),
  ev("result", {
    target: v.string(),
    runId: v.string(),
    status: Status,
    results: v.array(v.object({ key: v.string(), action: Action, status: v.picklist(["applied", "skipped", "failed", "pending"]), error: v.optional(v.string()), ms: v.optional(v.number()) })),
    record: v.optional(v.string()),
    failure: v.optional(v.string()),
    rollback: v.optional(v.object({ plan: PlanSchema, result: v.optional(v.record(v.string(), v.unknown())), error: v.optional(v.string()) })),
  }),
]);

export const RunsSchema = v.union([
  v.object({ ...envelope("hostkit.runs"), runs: v.array(RunRecordSchema) }),
  v.object({ ...envelope("hostkit.runs"), removed: v.array(v.string()) }),
]);

/** `backup --json`: one archive per target. */
export const BackupsSchema = v.object({
  ...envelope("hostkit.backups"),
  backups: v.array(v.object({ target: v.string(), file: v.string(), paths: v.array(v.string()), bytes: v.number(), sha256: v.string() })),
});

export function plansDoc(plans: Plan[]) {
  return { kind: "hostkit.plans" as const, formatVersion: JSON_FORMAT_VERSION, plans };
}

export function runsDoc(runs: RunRecord[]) {
  return { kind: "hostkit.runs" as const, formatVersion: JSON_FORMAT_VERSION, runs };
}

/** One apply event as a JSON line: the envelope first, so `jq 'select(.type=="change.done")'` just works. */
export function eventLine(e: { type: string; [k: string]: unknown }): string {
  return `${JSON.stringify({ kind: "hostkit.event", formatVersion: JSON_FORMAT_VERSION, ...e })}\n`;
}


