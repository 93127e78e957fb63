import { existsSync, lstatSync } from "node:fs";
import { defineCommand } from "citty";
import { consola } from "consola";
import { load } from "../load.ts";
import { HostKitError } from "../model/errors.ts";
import type { Plan, TargetInfo } from "../model/plan.ts";
import type { CompiledProject } from "../compile/index.ts";
import { displayStatus, runPaths, RunStore, type RunRecord } from "../artifacts/runs.ts";
import { resolveTargets, type TargetFlags } from "../targets/resolve.ts";
import { printJson, repeated, requireArg } from "./common.ts";
import { targetArgs, targetFlags } from "./target-args.ts";
import { commonArgs } from "./flags.ts";
import { JSON_FORMAT_VERSION, runsDoc } from "./json.ts";

/** Target flags (runs and down choose records by target; they make no plan of their own). */
export const targetOnlyArgs = targetArgs;

export const runsRootArgs = {
  "runs-root": { type: "string", description: "Where run records are kept (default: the project's p.runs({ root }), else .hostkit/runs next to the infra file)", valueHint: "DIR" },
} as const;

/**
 * The infra file a plan was made from, when its changes name one that exists here. Loading it runs
 * its code, and a plan file names it: only a regular file owned by this user (or root) that no one
 * else may write is loaded, so an edited plan cannot make hostkit run someone else's script.
 */
function planInfraFile(plan: Plan): string | undefined {
  // an instance's plan may change nothing on the instance itself: its nested host's changes name the file too
  for (const c of [...plan.changes, ...(plan.nested?.plan.changes ?? [])]) {
    const file = c.source?.replace(/:\d+$/, "");
    if (!file || !/\.[cm]?[jt]s$/.test(file) || !existsSync(file)) continue;
    const st = lstatSync(file);
    const uid = process.getuid?.() ?? 0;
    if (st.isFile() && (st.uid === uid || st.uid === 0) && (st.mode & 0o022) === 0) return file;
    consola.warn(`not loading ${file}, which the plan names as its infra file: it is not a regular file owned by you and writable only by you; pass the infra FILE`);
  }
  return undefined;
}

/**
 * The run store of a project: from the infra file (its `p.runs` settings), or for a saved plan
 * applied without one, from the infra file the plan names when it is here.
 */
export async function runStoreFor(o: { file?: string; project?: CompiledProject; plan?: Plan; runsRoot?: string; backupsRoot?: string; require?: string[] }): Promise<RunStore> {
  const roots = { ...(o.runsRoot ? { runsRoot: o.runsRoot } : {}), ...(o.backupsRoot ? { backupsRoot: o.backupsRoot } : {}) };
  if (o.file) return new RunStore(runPaths({ infraFile: o.file, ...(o.project ? { runs: o.project.runs } : {}), ...roots }));
  const found = o.plan && !o.runsRoot ? await planProject(o.plan, o.require ?? [], "its runs root") : undefined;
  if (found) return new RunStore(runPaths({ infraFile: found.file, runs: found.project.runs, ...roots }));
  return new RunStore(runPaths(roots));
}

/**
 * The infra file a saved plan was made from (named by its changes' sources), loaded, when it still
 * declares the same project; otherwise undefined with a warning saying what `why` falls back on.
 */
export async function planProject(plan: Plan, require: string[], why: string): Promise<{ file: string; project: CompiledProject } | undefined> {
  const file = planInfraFile(plan);
  if (!file) return undefined;
  try {
    const project = await load(file, { require });
    if (project.project === plan.project) return { file, project };
  } catch (e) {
    consola.warn(`could not load ${file} for ${why} (${(e as Error).message.split("\n")[0]})`);
  }
  return undefined;
}

/** The target named by flags, when any (runs and down filter records by it). */
export function chosenTarget(project: CompiledProject | undefined, flags: TargetFlags): TargetInfo | undefined {
  const chosen = flags.local || flags.root || flags.host?.length || flags.instance?.length || flags.remote;
  if (!chosen) return undefined;
  const targets = resolveTargets(project?.hosts ?? [], flags, undefined, project?.instances);
  if (targets.length !== 1) throw new HostKitError({ key: "--host", message: "choose one target" });
  return targets[0]!.info;
}

function where(t: TargetInfo): string {
  return t.transport === "root" ? `root ${t.root}` : t.transport === "ssh" ? `${t.name}${t.host && t.host !== t.name ? ` (${t.host})` : ""}` : "local";
}

/** A change recorded "started" by a run that is no longer running may or may not have landed: "unknown". */
function changeStatus(r: RunRecord, c: RunRecord["changes"][number]): string {
  return c.status === "started" && displayStatus(r) !== "running" ? "unknown" : c.status;
}

function summary(r: RunRecord): string {
  const n = (s: string) => r.changes.filter((c) => changeStatus(r, c) === s).length;
  const parts = [`${n("applied") + n("skipped")} applied`];
  if (n("unknown")) parts.push(`${n("unknown")} unknown (the run ended while applying)`);
  if (n("failed")) parts.push(`${n("failed")} failed`);
  if (n("pending")) parts.push(`${n("pending")} not applied`);
  return parts.join(", ");
}

/** The columns of one run in the table. */
function columns(r: RunRecord): string[] {
  const notes = `${r.rollback ? `  rolled back by ${r.rollback.run || "(nothing)"} (${r.rollback.status})` : ""}${r.from?.run ? `  reverses ${r.from.run}` : ""}`;
  return [r.id, r.direction, displayStatus(r), r.startedAt, where(r.target), `${summary(r)}${notes}`];
}

/** The runs as a table: every column as wide as its widest cell, the header aligned with it. */
export function runsTable(runs: RunRecord[]): string {
  const rows = [["RUN", "DIR", "STATUS", "STARTED", "TARGET", "CHANGES"], ...runs.map(columns)];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

export function formatRun(r: RunRecord, verbose: boolean): string {
  const head = columns(r).join("  ");
  if (!verbose) return head;
  const lines = [head, `  plan: ${r.plan}`];
  if (r.from?.plan) lines.push(`  from: ${r.from.plan}`);
  if (r.backups) lines.push(`  backups: ${r.backups}`);
  if (r.error) lines.push(`  error: ${r.error}`);
  if (r.rollback) lines.push(`  rollback: ${r.rollback.reason}`);
  for (const c of r.changes) {
    lines.push(`  ${changeStatus(r, c).padEnd(8)} ${c.key}${c.error ? `: ${c.error}` : ""}`);
    if (c.backup) lines.push(`           backup ${c.backup.path} (sha256 ${c.backup.sha256.slice(0, 12)}…, ${c.backup.owner}:${c.backup.group} ${c.backup.mode.toString(8).padStart(4, "0")}, ${c.backup.size} bytes)`);
  }
  return lines.join("\n");
}

export default defineCommand({
  meta: { name: "runs", description: "List tracked runs of a project (their records, copied plans and backups), or prune old ones" },
  args: {
    file: { type: "positional", description: "Infra file", required: false },
    ...requireArg,
    ...targetOnlyArgs,
    ...runsRootArgs,
    "backups-root": { type: "string", description: "Where backup payloads are kept", valueHint: "DIR" },
    ...commonArgs,
    verbose: { type: "boolean", description: "Show each run's copied plan, backup payloads and change statuses" },
    latest: { type: "boolean", description: "Only the newest run" },
    id: { type: "string", description: "Only this run", valueHint: "RUN_ID" },
    prune: { type: "boolean", description: "Remove older runs: records, copied plans and backup payloads (with --keep N)" },
    keep: { type: "string", description: "Runs kept by --prune", valueHint: "N" },
    json: { type: "boolean", description: "Print the runs as JSON (kind hostkit.runs)" },
  },
  async run({ args, rawArgs }) {
    if (!args.file && !args["runs-root"]) throw new HostKitError({ message: "hostkit runs needs the infra FILE (or --runs-root DIR)", hint: "hostkit runs infra/config.ts --host prod" });
    const project = args.file ? await load(args.file, { require: repeated(rawArgs, "require") }) : undefined;
    const store = await runStoreFor({ ...(args.file ? { file: args.file } : {}), ...(project ? { project } : {}), ...(args["runs-root"] ? { runsRoot: args["runs-root"] } : {}), ...(args["backups-root"] ? { backupsRoot: args["backups-root"] } : {}) });
    const target = chosenTarget(project, targetFlags(args, rawArgs));
    const filter = { ...(project ? { project: project.project } : {}), ...(target ? { target } : {}) };
    if (args.prune) {
      const keep = Number(args.keep);
      if (args.keep === undefined || !Number.isInteger(keep) || keep < 0) throw new HostKitError({ key: "--keep", message: "--prune needs --keep N (runs to keep, newest first)" });
      const removed = store.prune(keep, filter);
      if (args.json) printJson({ kind: "hostkit.runs", formatVersion: JSON_FORMAT_VERSION, removed: removed.map((r) => r.id) });
      else process.stdout.write(removed.length ? `Removed ${removed.length} run(s): ${removed.map((r) => r.id).join(", ")}\n` : "Nothing to prune.\n");
      return 0;
    }
    let runs = store.list(filter);
    if (args.id) {
      runs = runs.filter((r) => r.id === args.id);
      if (!runs.length) throw new HostKitError({ subject: `run ${args.id}`, message: `not found under ${store.paths.root}`, hint: "hostkit runs FILE lists the runs" });
    }
    if (args.latest) runs = runs.slice(-1);
    if (args.json) {
      printJson(runsDoc(runs));
      return 0;
    }
    if (!runs.length) {
      process.stdout.write(`No runs under ${store.paths.root}${target ? ` for ${where(target)}` : ""}.\n`);
      return 0;
    }
    const verbose = !!args.verbose || !!args.id || !!args.latest;
    process.stdout.write(`${verbose ? runs.map((r) => formatRun(r, true)).join("\n\n") : runsTable(runs)}\n`);
    return 0;
  },
});
