import { defineCommand } from "citty";
import { consola } from "consola";
import { load } from "../load.ts";
import { HostKitError } from "../model/errors.ts";
import type { Plan } from "../model/plan.ts";
import { down, type BackupRef } from "../plan/down.ts";
import { formatPlan } from "../plan/format.ts";
import { readPlanFile, writePlanFile } from "../artifacts/plan-file.ts";
import type { RunRecord, RunStore } from "../artifacts/runs.ts";
import { jsonArg, printJson, repeated, requireArg } from "./common.ts";
import { targetFlags } from "./target-args.ts";
import { useColor } from "./output.ts";
import { chosenTarget, runsRootArgs, runStoreFor, targetOnlyArgs } from "./runs.ts";
import { basename, dirname } from "node:path";
import { hasUnsettled, settleUnknown, targetOf, UNSETTLED, type Settled } from "../plan/unknown.ts";
import { recordDerived } from "../artifacts/derived.ts";
import { readSavedPlan } from "../artifacts/saved-plan.ts";
import { requireSignature } from "../artifacts/plan-sign.ts";

/** The run to reverse: `--run ID`, or `--last` (the newest up run of the project on the target). */
function pickRun(store: RunStore, o: { run?: string; last?: boolean; project?: string; target?: Plan["target"] }): RunRecord {
  if (o.run) return store.read(o.run);
  const filter = { ...(o.project ? { project: o.project } : {}), ...(o.target ? { target: o.target } : {}) };
  const all = store.list(filter);
  const last = all.filter((r) => r.direction === "up").pop();
  if (!last) throw new HostKitError({ message: `no tracked up run under ${store.paths.root}${o.target ? ` for ${o.target.name}` : ""}`, hint: "runs are recorded by hostkit apply --track" });
  const undone = all.find((r) => r.direction === "down" && r.status === "ok" && r.from?.run === last.id);
  if (!last.changes.some((c) => c.status === "applied" || c.status === "skipped" || UNSETTLED.has(c.status))) consola.warn(`run ${last.id} (the newest up run) applied nothing${last.error ? ` (${last.error.split("\n")[0]})` : ""}; choose another with --run ID`);
  if (undone) consola.warn(`run ${last.id} was already rolled back by run ${undone.id}; its down plan will be refused as stale unless the host is back to what it left (choose another with --run ID)`);
  return last;
}

/** The down plan of a tracked run: only what it applied, previous file-like state from its backups. */
export function downOfRun(record: RunRecord, only: string[], settled?: Settled): Plan {
  const plan = readPlanFile(record.plan);
  const backups: Record<string, BackupRef> = {};
  // Payloads are named by id inside the run's own backup directory, never by a path.
  for (const c of record.changes) if (c.backup && record.backups && dirname(c.backup.path) === record.backups) backups[c.key] = { run: record.id, id: basename(c.backup.path), sha256: c.backup.sha256 };
  if (record.status === "running") consola.warn(`run ${record.id} did not finish (status "running"): reversing the changes it recorded as applied${settled ? " and those the host shows it applied" : ""}`);
  const d = down(plan, { results: settled?.results ?? record.changes, backups, run: record.id, planPath: record.plan, only });
  if (settled) d.warnings.unshift(...settled.notes);
  return d;
}

export default defineCommand({
  meta: { name: "down", description: "Derive the down (rollback) plan of an applied up plan or of a tracked run" },
  args: {
    plan: { type: "positional", description: "The up plan file; with --run/--last, the infra FILE", required: false },
    ...requireArg,
    ...targetOnlyArgs,
    ...runsRootArgs,
    out: { type: "string", description: "Write the down plan (JSON) to FILE", valueHint: "FILE" },
    only: { type: "string", description: "Reverse only TYPE:ID (repeatable)", valueHint: "TYPE:ID" },
    run: { type: "string", description: "Reverse a tracked run", valueHint: "RUN_ID" },
    last: { type: "boolean", description: "Reverse the newest tracked up run on the target" },
    ...jsonArg,
  },
  async run({ args, rawArgs }) {
    const only = repeated(rawArgs, "only");
    let plan: Plan;
    if (args.run || args.last) {
      if (args.run && args.last) throw new HostKitError({ message: "choose --run ID or --last" });
      if (!args.plan && !args["runs-root"]) throw new HostKitError({ message: "hostkit down --run/--last needs the infra FILE (or --runs-root DIR)", hint: "hostkit down --host prod --last --out down.plan.json infra/config.ts" });
      const project = args.plan ? await load(args.plan, { require: repeated(rawArgs, "require") }) : undefined;
      const store = await runStoreFor({ ...(args.plan ? { file: args.plan } : {}), ...(project ? { project } : {}), ...(args["runs-root"] ? { runsRoot: args["runs-root"] } : {}) });
      const target = chosenTarget(project, targetFlags(args, rawArgs));
      const record = pickRun(store, { ...(args.run ? { run: args.run } : { last: true }), ...(project ? { project: project.project } : {}), ...(target ? { target } : {}) });
      const settled = hasUnsettled(record) ? await settleUnknown(readPlanFile(record.plan), record, targetOf(record.target, project, targetFlags(args, rawArgs))) : undefined;
      plan = downOfRun(record, only, settled);
      if (args.out || args.json) recordDerived(store, plan, record);
    } else {
      if (!args.plan) throw new HostKitError({ message: "hostkit down needs the up PLAN file (or --run ID / --last with the infra FILE)", hint: "hostkit down up.plan.json --out down.plan.json" });
      const up = readSavedPlan(args.plan);
      requireSignature(up);
      plan = down(up.plan, { only, planPath: args.plan });
      if (args.out || args.json) recordDerived(await runStoreFor({ plan: up.plan, ...(args["runs-root"] ? { runsRoot: args["runs-root"] } : {}), require: repeated(rawArgs, "require") }), plan);
    }
    if (args.out) writePlanFile(args.out, plan);
    if (args.json) printJson(plan);
    else process.stdout.write(`${formatPlan(plan, { color: useColor() })}\n${args.out ? `Saved to ${args.out}\n` : ""}`);
    return 0;
  },
});
