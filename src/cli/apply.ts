import { defineCommand } from "citty";
import { consola } from "consola";
import { load } from "../load.ts";
import { HostKitError } from "../model/errors.ts";
import { hasChanges, type Plan } from "../model/plan.ts";
import { planHost } from "../plan/planner.ts";
import { formatPlan } from "../plan/format.ts";
import { readSavedPlan } from "../artifacts/saved-plan.ts";
import { verifySavedPlan } from "../apply/integrity.ts";
import { opsFor } from "../apply/ops.ts";
import { eachTarget, resolveTargets, targetsOfPlan } from "../targets/resolve.ts";
import { repeated, requireArg } from "./common.ts";
import { commonArgs } from "./flags.ts";
import { ignoredKeys, selectArgs, selection } from "./select.ts";
import { eventLine } from "./json.ts";
import { pruneArgs, refusePlanAsInfraFile } from "./plan-args.ts";
import { recordPending } from "../plan/managed.ts";
import { alreadyRolledBack, downAlreadyApplied, withBackupText } from "./down-view.ts";
import { resourceKey } from "../model/resource.ts";
import { kindFlagArgs, targetArgs, targetFlags, withKindFlags } from "./target-args.ts";
import { eventPrinter, useColor } from "./output.ts";
import { commandLine } from "../targets/shell.ts";
import { parseDuration, runPlan, type RunOutcome } from "../apply/rollback.ts";
import { runEventNote, runReport } from "./run-report.ts";
import { planProject, runsRootArgs, runStoreFor } from "./runs.ts";
import { packageLockArgs, packageLookups, withLookups } from "./package-args.ts";
import { applyPair, applySavedPair } from "./instance-apply.ts";
import { verifyNested } from "../apply/integrity-nested.ts";
import type { TargetCtx } from "../model/kind.ts";
import type { Runner } from "../targets/runner.ts";

export const applyArgs = {
  file: { type: "positional", description: "Infra file (optional with --plan)", required: false },
  ...requireArg,
  ...targetArgs,
  ...kindFlagArgs,
  plan: { type: "string", description: "Apply a saved plan (re-reads the target first and refuses a stale plan)", valueHint: "FILE" },
  confirm: { type: "boolean", description: "Apply without asking" },
  "dry-run": { type: "boolean", description: "Show the plan and the commands it would run; change nothing" },
  "break-lock": { type: "boolean", description: "Break a host lock whose holder is provably gone" },
  concurrency: { type: "string", description: "Hosts applied at once (default 4)", valueHint: "N" },
  track: { type: "boolean", description: "Record the run under the runs root (the plan, each change's status) and back up previous file-like content" },
  ...runsRootArgs,
  "backups-root": { type: "string", description: "Where a tracked run keeps backup payloads (default hostkit_backups beside the runs root)", valueHint: "DIR" },
  "rollback-on-failure": { type: "boolean", description: "When a change fails, or a (re)started service is not active --rollback-wait later, apply the down plan of what this run applied and exit non-zero (implies --track)" },
  "rollback-wait": { type: "string", description: "How long after the run started services must be active (default 3s)", valueHint: "DURATION" },
  ...selectArgs,
  ...pruneArgs,
  "rotate-secrets": { type: "boolean", description: "Rewrite env files holding secrets even when they match (new values from the controller's environment)" },
  json: { type: "boolean", description: "Print events as JSON lines (kind hostkit.event; hostkit schema events)" },
  ...packageLockArgs,
  ...commonArgs,
} as const;

async function confirmOrRefuse(confirm: boolean | undefined): Promise<void> {
  if (confirm) return;
  if (!process.stdin.isTTY) throw new HostKitError({ message: "refusing to apply without --confirm (no terminal to ask on)" });
  const ok = await consola.prompt("Apply these changes?", { type: "confirm", initial: false });
  if (ok !== true) throw new HostKitError({ message: "not applied" });
}

export default defineCommand({
  meta: { name: "apply", description: "Apply a project (plan, confirm, apply) or a saved plan" },
  args: applyArgs,
  async run({ args, rawArgs }) {
    if (!args.file && !args.plan) throw new HostKitError({ message: "hostkit apply needs an infra FILE or --plan FILE" }, 2);
    if (args.file) refusePlanAsInfraFile(args.file);
    const savedFile = args.plan ? readSavedPlan(args.plan) : undefined;
    const saved = savedFile?.plan;
    let project = args.file ? await load(args.file, { require: repeated(rawArgs, "require") }) : undefined;
    let infraFile = args.file;
    // A saved plan is checked against the infra file it was made from (and a saved SSH plan's host
    // settings live there): find that through the plan's sources when none is given.
    if (!project && saved) {
      const found = await planProject(saved, repeated(rawArgs, "require"), "checking the plan against its declarations");
      ({ project, file: infraFile } = found ?? {});
    }
    const flags = targetFlags(args, rawArgs);
    const emitTransport = eventPrinter(!!args.json);
    const names = packageLookups(args, infraFile);
    const targets = withKindFlags(saved ? targetsOfPlan(saved.target, project, flags) : resolveTargets(project!.hosts, flags, emitTransport, project!.instances), args).map((t) => withLookups(t, names.lookups));
    if (saved && targets.length !== 1) throw new HostKitError({ key: "--plan", message: "a saved plan applies to one target" });
    const storeArgs = { ...(args.file ? { file: args.file } : {}), ...(project ? { project } : {}), ...(saved ? { plan: saved } : {}), ...(args["runs-root"] ? { runsRoot: args["runs-root"] } : {}), ...(args["backups-root"] ? { backupsRoot: args["backups-root"] } : {}), require: repeated(rawArgs, "require") };
    // Before anything runs: the saved plan is what the declarations (or, for a down plan, its run) produce.
    // A saved instance plan (with its nested host's) is checked against the instance's controller target.
    const pairOf = saved?.nested ? targets[0]!.pair : undefined;
    const verified = savedFile
      ? verifySavedPlan({ saved: savedFile, ...(infraFile ? { file: infraFile } : {}), ...(project ? { project } : {}), target: (pairOf?.controller ?? targets[0]!).info, targetChosen: !!(flags.local || flags.root || flags.host?.length || flags.instance?.length || flags.remote), ...(saved!.direction === "down" ? { store: await runStoreFor(storeArgs) } : {}) })
      : undefined;
    const pair = targets[0]!.pair;
    const nestedCheck = savedFile && project && pair ? verifyNested({ saved: savedFile, ...(infraFile ? { file: infraFile } : {}), project, instance: pair.instance, ...(pair.nested ? { nested: pair.nested.info } : {}) }) : undefined;
    const sel = selection(rawArgs);
    const noPrune = rawArgs.includes("--no-prune");
    if (saved && noPrune) throw new HostKitError({ key: "--no-prune", message: "a saved plan is applied as it is", hint: "choose it when making the plan: hostkit plan FILE --no-prune --out PLAN" }, 2);
    if (saved && (sel.only.length || sel.ignore.length)) throw new HostKitError({ key: "--only/--ignore", message: "a saved plan is applied as it is", hint: "choose resources when making it: hostkit plan FILE --only KEY --out PLAN" }, 2);
    const ignore = project && !saved ? ignoredKeys(project.resources.map(resourceKey), sel) : [];
    const abort = new AbortController();
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(130);
      consola.warn("interrupted: finishing the current step, then stopping (Ctrl-C again to quit at once)");
      abort.abort();
    };
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigint);
    const multi = targets.length > 1;
    const rollbackWait = parseDuration(args["rollback-wait"] ?? "3s");
    const tracked = args.track || args["rollback-on-failure"];
    const store = tracked ? await runStoreFor(storeArgs) : undefined;
    try {
      const results = await eachTarget(targets, Number(args.concurrency ?? 4), async (t): Promise<RunOutcome | undefined> => {
        const prefix = multi ? `[${t.info.name}] ` : "";
        const print = eventPrinter(!!args.json, prefix, t.info.name);
        const onEvent: typeof print = (e) => {
          const line = args.json ? undefined : runEventNote(e);
          if (line) consola.info(`${prefix}${line}`);
          print(e);
        };
        const runOpts = {
          onEvent,
          signal: abort.signal,
          breakLock: !!args["break-lock"],
          ...(store ? { track: { store, ...(args.plan ? { planFile: args.plan } : {}) } } : {}),
          ...(args["rollback-on-failure"] ? { rollbackOnFailure: { waitMs: rollbackWait } } : {}),
        };
        const showPlan = (plan: Plan, backups?: boolean) => {
          if (args.json) process.stdout.write(eventLine({ type: "plan", target: plan.target.name, plan }));
          else process.stdout.write(`${formatPlan(backups ? withBackupText(plan, verified?.backups) : plan, { color: useColor() })}\n`);
        };
        const dryRun = (plan: Plan, ctx: TargetCtx) => {
          if (args.json) process.stdout.write(eventLine({ type: "dry-run", target: plan.target.name, plan, ops: plan.changes.map((c) => ({ key: c.key, ops: opsFor(c, ctx).map((o) => ({ label: o.label, argv: o.argv, skip: o.skip })) })) }));
          else {
            process.stdout.write("\nDry run: nothing applied. Commands that would run:\n");
            for (const c of plan.changes) for (const o of opsFor(c, ctx)) process.stdout.write(`  ${o.skip ? "(skip) " : ""}${o.argv[0] === "sh" && o.argv[1] === "-c" ? `[${o.argv[3]}] ${commandLine(o.argv.slice(4))}` : commandLine(o.argv)}\n`);
          }
        };
        const confirm = async () => {
          if (!multi) await confirmOrRefuse(args.confirm);
          else if (!args.confirm) throw new HostKitError({ message: "applying to several hosts needs --confirm" });
        };
        // An instance (or the host inside one): the instance on this machine, then its nested host.
        const pairIo = {
          show: (plan: Plan) => showPlan(plan),
          ...(args["dry-run"] ? { dryRun } : {}),
          confirm,
          run: (plan: Plan, runner: Runner, ctx: TargetCtx, underLock?: () => Promise<void>) => runPlan(plan, { runner, ctx, ...runOpts, ...(underLock ? { underLock } : {}) }),
          note: (line: string) => consola.info(`${prefix}${line}`),
        };
        if (t.pair && !saved) return await applyPair(t, project!, ignore, pairIo);
        if (t.pair && nestedCheck) return await applySavedPair(t, project!, verified!, nestedCheck, pairIo);
        const runner = await t.open();
        // Stale or tampered saved plans are refused; an up plan is rebuilt from the declarations.
        const refuseIfStale = async (): Promise<Plan> => {
          try {
            return await verified!.check(runner, t.ctx);
          } catch (e) {
            // A down plan whose changes the host already shows: say it was rolled back, not "stale".
            if (saved!.direction === "down" && (await downAlreadyApplied(saved!, runner, t.ctx))) throw alreadyRolledBack(saved!, args.plan, store);
            throw e;
          }
        };
        try {
          let plan: Plan;
          if (saved) {
            plan = await refuseIfStale();
          } else {
            plan = await planHost({ project: project!.project, resources: project!.resources, runner, ctx: t.ctx, target: t.info, ignore, ...(noPrune ? { prune: false } : {}), ...(args["rotate-secrets"] ? { rotateSecrets: true } : {}) });
          }
          showPlan(plan, true);
          // No changes, but the managed-resources record is missing or outdated: it alone is written (no prompt: it changes nothing managed).
          const recordOnly = !hasChanges(plan) && !args["dry-run"] && recordPending(plan);
          if (!hasChanges(plan) && !recordOnly) return undefined;
          if (args["dry-run"]) {
            dryRun(plan, t.ctx);
            return undefined;
          }
          if (!recordOnly) await confirm();
          return await runPlan(plan, {
            runner,
            ctx: t.ctx,
            ...runOpts,
            // Checked again under the host lock: nothing can change the host between check and apply.
            ...(saved ? { underLock: async () => void (await refuseIfStale()) } : {}),
            ...(verified?.backups ? { backups: verified.backups } : {}),
            ...(t.reconnect ? { reconnect: t.reconnect } : {}),
          });
        } finally {
          await runner.close();
        }
      });
      let code = 0;
      for (const [i, r] of results.entries()) {
        if (!r) continue;
        const who = multi ? `[${targets[i]!.info.name}] ` : "";
        if (r.status !== "ok") {
          if (args.json) process.stdout.write(eventLine({ type: "result", target: targets[i]!.info.name, ...r }));
          else process.stderr.write(`${runReport(r, who)}\n`);
          code = r.status === "interrupted" ? 130 : 1;
        } else if (args.json) process.stdout.write(eventLine({ type: "result", target: targets[i]!.info.name, ...r }));
        else process.stdout.write(`${who}applied: run ${r.runId} (${r.results.length} change(s))\n`);
      }
      return code;
    } finally {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigint);
    }
  },
});

