/** `hostkit show PLAN.json`: a saved plan as people read it (or the validated JSON with --json). */
import { defineCommand } from "citty";
import { readPlanFile } from "../artifacts/plan-file.ts";
import { formatPlan } from "../plan/format.ts";
import { printJson } from "./common.ts";
import { commonArgs, usageError } from "./flags.ts";
import { useColor } from "./output.ts";

export default defineCommand({
  meta: { name: "show", description: "Print a saved plan file (from plan --out or down --out): the changes and their diffs, or its JSON with --json" },
  args: {
    plan: { type: "positional", description: "A plan file", required: false, valueHint: "PLAN" },
    json: { type: "boolean", description: "Print the plan's JSON (kind hostkit.plan), validated" },
    ...commonArgs,
  },
  run({ args }) {
    if (!args.plan) throw usageError("hostkit show needs a PLAN file", "hostkit show up.plan.json");
    const plan = readPlanFile(args.plan);
    if (args.json) printJson(plan);
    // a saved instance plan carries its nested host's: shown after it, as plan printed them
    else process.stdout.write(`${[plan, ...(plan.nested ? [plan.nested.plan as typeof plan] : [])].map((p) => formatPlan(p, { color: useColor() })).join("\n\n")}\n`);
    return 0;
  },
});
