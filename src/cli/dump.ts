import { defineCommand } from "citty";
import { load } from "../load.ts";
import { resourceKey } from "../model/resource.ts";
import { kindOf } from "../kinds/registry.ts";
import { formatLoc } from "../model/source.ts";
import { commonArgs } from "./flags.ts";
import { JSON_FORMAT_VERSION } from "./json.ts";
import { needFile, printJson, repeated, requireArg } from "./common.ts";

export default defineCommand({
  meta: { name: "dump", description: "Print the compiled project: hosts and resources, exactly what the planner sees" },
  args: {
    file: { type: "positional", description: "Infra file (TypeScript)", required: false },
    ...requireArg,
    json: { type: "boolean", description: "Print the compiled project as JSON (kind hostkit.dump)" },
    ...commonArgs,
  },
  async run({ args, rawArgs }) {
    const project = await load(needFile(args.file, "dump"), { require: repeated(rawArgs, "require") });
    if (args.json) {
      printJson({ kind: "hostkit.dump", formatVersion: JSON_FORMAT_VERSION, project: project.project, source: project.source, hosts: project.hosts, runs: project.runs, resources: project.resources.map((r) => ({ key: resourceKey(r), ...r })) });
      return 0;
    }
    const out: string[] = [`project ${project.project}  (${formatLoc(project.source)})`];
    for (const h of project.hosts) out.push(`  host ${h.name} → ${h.ssh.user ? `${h.ssh.user}@` : ""}${h.at}${h.ssh.port ? `:${h.ssh.port}` : ""}${h.ssh.sudo ? " (sudo)" : ""}`);
    for (const r of project.resources) {
      const detail = kindOf(r.type)?.describe?.(r);
      const extra = detail ? `  ${detail}` : "";
      out.push(`  ${resourceKey(r)}${extra}  (${formatLoc(r.source)})`);
    }
    process.stdout.write(`${out.join("\n")}\n`);
    return 0;
  },
});
