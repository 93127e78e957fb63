#!/usr/bin/env bun
/**
 * The `hostkit` binary. Owns the top-level catch and exit codes: 0 ok, 1 error, 2 changes present
 * (with --detailed-exitcode). User errors print as diagnostics, never as stack traces.
 */
import type { CommandDef } from "citty";
import { COMMIT, VERSION } from "./version.ts";

// citty and consola decide on colour once, when first imported: no escape codes into pipes and files.
if (!process.stdout.isTTY && process.env.FORCE_COLOR === undefined) process.env.NO_COLOR ??= "1";
const { defineCommand, runCommand, showUsage } = await import("citty");

const subCommands = {
  dump: () => import("./cli/dump.ts").then((m) => m.default),
  render: () => import("./cli/render.ts").then((m) => m.default),
  init: () => import("./cli/init.ts").then((m) => m.default),
  plan: () => import("./cli/plan.ts").then((m) => m.default),
  apply: () => import("./cli/apply.ts").then((m) => m.default),
  down: () => import("./cli/down.ts").then((m) => m.default),
  runs: () => import("./cli/runs.ts").then((m) => m.default),
  schema: () => import("./cli/schema.ts").then((m) => m.default),
} as Record<string, () => Promise<CommandDef>>;

const main = defineCommand({
  meta: { name: "hostkit", version: VERSION, description: "Host infrastructure as TypeScript: plan, apply and roll back" },
  subCommands,
});

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === "--version" || argv[0] === "-v" || argv[0] === "version") {
    process.stdout.write(`hostkit ${VERSION} (${COMMIT})\n`);
    return 0;
  }
  const verb = argv.find((a) => !a.startsWith("-"));
  if (argv.includes("--help") || argv.includes("-h") || argv.length === 0) {
    if (verb && subCommands[verb]) await showUsage(await subCommands[verb](), main);
    else await showUsage(main);
    return 0;
  }
  if (!verb || !subCommands[verb]) {
    process.stderr.write(`error: unknown command ${JSON.stringify(verb ?? argv[0])}\n  hint: hostkit --help lists the commands\n`);
    return 1;
  }
  try {
    // Run the verb directly: citty drops a sub-command's return value, which carries our exit code.
    const sub = await subCommands[verb]!();
    const { result } = await runCommand(sub, { rawArgs: argv.slice(argv.indexOf(verb) + 1) });
    return typeof result === "number" ? result : 0;
  } catch (e) {
    return (await import("./cli/errors.ts")).reportError(e);
  }
}

if (import.meta.main) {
  process.exitCode = await run(process.argv.slice(2));
}
