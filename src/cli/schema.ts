/** `hostkit schema NAME`: the JSON Schema of a JSON output, generated from its valibot schema (the authority, src/cli/json.ts). */
import { defineCommand } from "citty";
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { HostKitError } from "../model/errors.ts";
import { PlanSchema } from "../model/plan.ts";
import { BackupsSchema, DumpSchema, EventSchema, JSON_FORMAT_VERSION, PlansSchema, RunsSchema } from "./json.ts";
import { printJson } from "./common.ts";
import { commonArgs, usageError } from "./flags.ts";

const SCHEMAS: Record<string, { schema: v.GenericSchema; title: string }> = {
  plan: { schema: PlanSchema, title: "HostKit plan (kind hostkit.plan): plan --out, down --out/--json, show --json" },
  plans: { schema: PlansSchema, title: "HostKit plans (kind hostkit.plans): plan --json" },
  dump: { schema: DumpSchema, title: "HostKit compiled project (kind hostkit.dump): dump --json" },
  events: { schema: EventSchema, title: "HostKit apply event (kind hostkit.event): one per line of apply --json" },
  runs: { schema: RunsSchema, title: "HostKit run records (kind hostkit.runs): runs --json" },
  backups: { schema: BackupsSchema, title: "HostKit backup archives (kind hostkit.backups): backup --json" },
};

export const SCHEMA_NAMES = Object.keys(SCHEMAS);

export function artifactSchema(name: string): Record<string, unknown> {
  const entry = SCHEMAS[name];
  if (!entry) throw new HostKitError({ subject: `schema ${JSON.stringify(name)}`, message: "is not a JSON output HostKit knows", hint: `one of: ${SCHEMA_NAMES.join(", ")}` });
  return {
    ...toJsonSchema(entry.schema, { errorMode: "ignore" }),
    $id: `https://hostkit.dev/schema/${name}-v${JSON_FORMAT_VERSION}.json`,
    title: `${entry.title} (formatVersion ${JSON_FORMAT_VERSION})`,
  };
}

export default defineCommand({
  meta: { name: "schema", description: `Print the JSON Schema of a JSON output (${SCHEMA_NAMES.join(", ")})` },
  args: {
    artifact: { type: "positional", description: `Which output: ${SCHEMA_NAMES.join(", ")}`, required: false, valueHint: "NAME" },
    ...commonArgs,
  },
  run({ args }) {
    if (!args.artifact) throw usageError("hostkit schema needs a name", `hostkit schema ${SCHEMA_NAMES.join("|")}`);
    printJson(artifactSchema(args.artifact));
    return 0;
  },
});
