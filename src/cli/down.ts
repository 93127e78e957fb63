import { defineCommand } from "citty";
import { consola } from "consola";
import { load } from "../load.ts";
import { HostKitError } from "../model/errors.ts";
import type { Plan } from "../model/plan.ts";
import { down, type BackupRef } from "../plan/down.ts";
import { stepOf } from "../kinds/registry.ts";
import { formatPlan } from "../plan/format.ts";
import { readPlanFile } from "../artifacts/plan-file.ts";
import type { RunRecord, RunStore } from "../artifacts/runs.ts";
import { printJson, repeated, requireArg } from "./common.ts";
import { commonArgs } from "./flags.ts";
import { selectArgs, selectKeys, selection, type Selection } from "./select.ts";
import { savePlan } from "./save.ts";
import { withBackupText } from "./down-view.ts";
import type { BackupStore } from "../apply/backups.ts";
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
  if (undone) throw new HostKitError({ message: `run ${last.id} was already rolled back by run ${undone.id}`, hint: "nothing to reverse; hostkit runs FILE lists the runs (choose another with --run ID)" });
  return last;
}

/** The down plan of a tracked run: only what it applied, previous file-like state from its backups. */
export function downOfRun(record: RunRecord, only?: string[], settled?: Settled): Plan {
  const plan = readPlanFile(record.plan);
  const backups: Record<string, BackupRef> = {};
  // Payloads are named by id inside the run's own backup directory, never by a path.
  for (const c of record.changes) if (c.backup && record.backups && dirname(c.backup.path) === record.backups) backups[c.key] = { run: record.id, id: basename(c.backup.path), sha256: c.backup.sha256 };
  if (record.status === "running") consola.warn(`run ${record.id} did not finish (status "running"): reversing the changes it recorded as applied${settled ? " and those the host shows it applied" : ""}`);
  const d = down(plan, { results: settled?.results ?? record.changes, backups, run: record.id, planPath: record.plan, ...(only ? { only } : {}) });
  if (settled) d.warnings.unshift(...settled.notes);
  return d;
}

/**
 * --only/--ignore on down: the up plan's keys they select (exact keys kept as given, so down()
 * can say "was not applied by the run"); undefined when neither is given.
 */
function onlyKeys(up: Plan, sel: Selection, record?: RunRecord): string[] | undefined {
  if (!sel.only.length && !sel.ignore.length) return undefined;
  const applied = record ? new Set(record.changes.filter((c) => c.status === "applied" || c.status === "skipped").map((c) => c.key)) : undefined;
  const keys = up.changes.filter((c) => c.action !== "noop" && !stepOf(c.type) && (!applied || applied.has(c.key) || sel.only.includes(c.key))).map((c) => c.key);
  const selected = selectKeys(keys, sel, "change in the plan");
  if (!selected.length) throw new HostKitError({ key: "--ignore", message: "leaves nothing to reverse" }, 2);
  return selected;
}

export default defineCommand({
  meta: { name: "down", description: "Derive the down (rollback) plan of an applied up plan or of a tracked run" },
  args: {
    plan: { type: "positional", description: "The up plan file; with --run/--last, the infra FILE", required: false },
    ...requireArg,
    ...targetOnlyArgs,
    ...runsRootArgs,
    ...selectArgs,
    out: { type: "string", description: "Write the down plan (JSON, kind hostkit.plan) to FILE", valueHint: "FILE" },
    run: { type: "string", description: "Reverse a tracked run", valueHint: "RUN_ID" },
    last: { type: "boolean", description: "Reverse the newest tracked up run on the target" },
    json: { type: "boolean", description: "Print the down plan as JSON (kind hostkit.plan)" },
    ...commonArgs,
  },
  async run({ args, rawArgs }) {
    const sel = selection(rawArgs);
    let plan: Plan;
    /** A tracked run's own backups: the human view shows restored text from them. */
    let backups: BackupStore | undefined;
    if (args.run || args.last) {
      if (args.run && args.last) throw new HostKitError({ message: "choose --run ID or --last" });
      if (!args.plan && !args["runs-root"]) throw new HostKitError({ message: "hostkit down --run/--last needs the infra FILE (or --runs-root DIR)", hint: "hostkit down --host prod --last --out down.plan.json infra/config.ts" });
      const project = args.plan ? await load(args.plan, { require: repeated(rawArgs, "require") }) : undefined;
      const store = await runStoreFor({ ...(args.plan ? { file: args.plan } : {}), ...(project ? { project } : {}), ...(args["runs-root"] ? { runsRoot: args["runs-root"] } : {}) });
      const target = chosenTarget(project, targetFlags(args, rawArgs));
      const record = pickRun(store, { ...(args.run ? { run: args.run } : { last: true }), ...(project ? { project: project.project } : {}), ...(target ? { target } : {}) });
      const settled = hasUnsettled(record) ? await settleUnknown(readPlanFile(record.plan), record, targetOf(record.target, project, targetFlags(args, rawArgs))) : undefined;
      plan = downOfRun(record, onlyKeys(readPlanFile(record.plan), sel, record), settled);
      if (record.backups) backups = { run: record.id, dir: record.backups };
      if (args.out || args.json) recordDerived(store, plan, record);
    } else {
      if (!args.plan) throw new HostKitError({ message: "hostkit down needs the up PLAN file (or --run ID / --last with the infra FILE)", hint: "hostkit down up.plan.json --out down.plan.json" });
      const saved = readSavedPlan(args.plan);
      requireSignature(saved);
      const up = saved.plan;
      const only = onlyKeys(up, sel);
      plan = down(up, { ...(only ? { only } : {}), planPath: args.plan });
      if (args.out || args.json) recordDerived(await runStoreFor({ plan: up, ...(args["runs-root"] ? { runsRoot: args["runs-root"] } : {}), require: repeated(rawArgs, "require") }), plan);
    }
    if (args.out) savePlan(args.out, plan);
    if (args.json) printJson(plan);
    else process.stdout.write(`${formatPlan(withBackupText(plan, backups), { color: useColor() })}\n${args.out ? `Saved to ${args.out}\n` : ""}`);
    return 0;
  },
});
