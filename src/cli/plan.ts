import { defineCommand } from "citty";
import { load } from "../load.ts";
import { HostKitError } from "../model/errors.ts";
import { needsAttention, type Plan } from "../model/plan.ts";
import { resourceKey } from "../model/resource.ts";
import { planHost } from "../plan/planner.ts";
import { planPair } from "../instances/orchestrate.ts";
import { formatPlan } from "../plan/format.ts";
import { eachTarget, resolveTargets } from "../targets/resolve.ts";
import { needFile, printJson, repeated, requireArg } from "./common.ts";
import { kindFlagArgs, targetArgs, targetFlags, withKindFlags } from "./target-args.ts";
import { useColor } from "./output.ts";
import { commonArgs } from "./flags.ts";
import { ignoredKeys, selectArgs, selection } from "./select.ts";
import { plansDoc } from "./json.ts";
import { savePlan } from "./save.ts";
import { pruneArgs } from "./plan-args.ts";
import { packageLockArgs, packageLookups, withLookups, writePackageLockArgs } from "./package-args.ts";

export default defineCommand({
  meta: { name: "plan", description: "Read the target, diff it against the declaration, print the plan (and save it with --out)" },
  args: {
    file: { type: "positional", description: "Infra file", required: false },
    ...requireArg,
    ...targetArgs,
    ...kindFlagArgs,
    ...selectArgs,
    ...pruneArgs,
    out: { type: "string", description: "Write the plan artifact (JSON, kind hostkit.plan) to FILE", valueHint: "FILE" },
    "detailed-exitcode": { type: "boolean", description: "Exit 0 with no changes, 2 with changes, 1 on any error" },
    concurrency: { type: "string", description: "Hosts planned at once (default 8)", valueHint: "N" },
    json: { type: "boolean", description: "Print the plans as JSON (kind hostkit.plans, for any number of hosts)" },
    ...packageLockArgs,
    ...writePackageLockArgs,
    ...commonArgs,
  },
  async run({ args, rawArgs }) {
    const project = await load(needFile(args.file, "plan"), { require: repeated(rawArgs, "require") });
    const names = packageLookups(args, args.file);
    const targets = withKindFlags(resolveTargets(project.hosts, targetFlags(args, rawArgs), undefined, project.instances), args).map((t) => withLookups(t, names.lookups));
    if (args.out && targets.length > 1) throw new HostKitError({ key: "--out", message: "writes one plan: choose one --host" });
    const ignore = ignoredKeys(project.resources.map(resourceKey), selection(rawArgs));
    let toSave: Plan | undefined;
    const plans: Plan[] = (
      await eachTarget(targets, Number(args.concurrency ?? 8), async (t): Promise<Plan[]> => {
        // An instance (or the host inside one): the instance on this machine first, then its nested host.
        if (t.pair) {
          const p = await planPair(t, project, ignore);
          // saved as one file: the instance's plan carrying its nested host's (apply --plan checks both)
          if (p.nested) toSave = { ...p.controller, nested: { preview: p.nestedPreview, plan: p.nested } };
          return [p.controller, ...(p.nested ? [p.nested] : [])];
        }
        const runner = await t.open();
        try {
          return [await planHost({ project: project.project, resources: project.resources, runner, ctx: t.ctx, target: t.info, ignore, ...(rawArgs.includes("--no-prune") ? { prune: false } : {}) })];
        } finally {
          await runner.close();
        }
      })
    ).flat();
    names.finish();
    if (args.out) savePlan(args.out, toSave ?? plans[0]!);
    if (args.json) printJson(plansDoc(plans));
    else process.stdout.write(`${plans.map((p) => formatPlan(p, { color: useColor() })).join("\n\n")}\n${args.out ? `Saved to ${args.out}\n` : ""}`);
    return args["detailed-exitcode"] && plans.some(needsAttention) ? 2 : 0;
  },
});
