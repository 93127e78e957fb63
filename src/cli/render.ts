import { defineCommand } from "citty";
import { load } from "../load.ts";
import { HostKitError } from "../model/errors.ts";
import { resourceKey } from "../model/resource.ts";
import { RESOURCE_TYPES } from "../kinds/registry.ts";
import { renderResource } from "../render/index.ts";
import { needFile, repeated, requireArg } from "./common.ts";
import { commonArgs } from "./flags.ts";

export default defineCommand({
  meta: { name: "render", description: "Print one rendered artifact (unit file, env file with secrets masked, file content)" },
  args: {
    file: { type: "positional", description: "Infra file", required: false, valueHint: "FILE" },
    type: { type: "positional", description: `Resource type (${RESOURCE_TYPES.join(", ")})`, required: false, valueHint: "TYPE" },
    id: { type: "positional", description: "Resource id, e.g. toys-exograph.service", required: false, valueHint: "ID" },
    ...requireArg,
    ...commonArgs,
  },
  async run({ args, rawArgs }) {
    const project = await load(needFile(args.file, "render"), { require: repeated(rawArgs, "require") });
    if (!args.type || !args.id) throw new HostKitError({ message: "usage: hostkit render FILE TYPE ID" });
    const key = `${args.type}:${args.id}`;
    const r = project.resources.find((x) => resourceKey(x) === key);
    if (!r) {
      const same = project.resources.filter((x) => x.type === args.type).map(resourceKey);
      throw new HostKitError({ subject: key, message: "no such resource in this project", hint: same.length ? `${args.type} resources: ${same.join(", ")}` : `types present: ${[...new Set(project.resources.map((x) => x.type))].join(", ")}` });
    }
    const text = renderResource(r);
    if (text === undefined) throw new HostKitError({ subject: key, message: `a ${r.type} has no rendered form (see hostkit dump)` });
    process.stdout.write(text);
    return 0;
  },
});
