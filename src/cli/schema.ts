/** `hostkit schema plan`: the JSON Schema of an artifact, generated from its valibot schema (the authority). */
import { defineCommand } from "citty";
import { toJsonSchema } from "@valibot/to-json-schema";
import { HostKitError } from "../model/errors.ts";
import { PLAN_FORMAT_VERSION, PlanSchema } from "../model/plan.ts";
import { printJson } from "./common.ts";

const SCHEMAS = {
  plan: () => ({
    ...toJsonSchema(PlanSchema),
    $id: `https://hostkit.dev/schema/plan-v${PLAN_FORMAT_VERSION}.json`,
    title: `HostKit plan (formatVersion ${PLAN_FORMAT_VERSION})`,
  }),
} as const;

export function artifactSchema(name: string): Record<string, unknown> {
  const make = SCHEMAS[name as keyof typeof SCHEMAS];
  if (!make) throw new HostKitError({ subject: `schema ${JSON.stringify(name)}`, message: "is not an artifact HostKit knows", hint: `one of: ${Object.keys(SCHEMAS).join(", ")}` });
  return make();
}

export default defineCommand({
  meta: { name: "schema", description: "Print the JSON Schema of an artifact (plan)" },
  args: {
    artifact: { type: "positional", description: `Which artifact: ${Object.keys(SCHEMAS).join(", ")}`, required: false },
  },
  run({ args }) {
    if (!args.artifact) throw new HostKitError({ message: "hostkit schema needs an artifact name", hint: `hostkit schema ${Object.keys(SCHEMAS).join("|")}` });
    printJson(artifactSchema(args.artifact));
    return 0;
  },
});
