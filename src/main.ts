#!/usr/bin/env bun
/**
 * The `hostkit` binary. Owns the command line (strict flags: src/cli/flags.ts), help
 * (src/cli/help.ts), the top-level catch and exit codes: 0 ok, 1 error, 2 usage error (or changes
 * present with --detailed-exitcode), 130 interrupted. User errors print as diagnostics, never as
 * stack traces.
 */
import { COMMIT, VERSION } from "./version.ts";
import { decideColor } from "./cli/color.ts";

// citty and consola decide on colour once, when first imported: decide first (NO_COLOR, FORCE_COLOR, TTY).
decideColor();

export async function run(argv: string[]): Promise<number> {
  const { VERBS } = await import("./cli/verbs.ts");
  const { checkArgs, closest, usageError } = await import("./cli/flags.ts");
  const out = (text: string) => (process.stdout.write(text), 0);
  const has = (list: string[], ...flags: string[]) => list.slice(0, list.includes("--") ? list.indexOf("--") : undefined).some((a) => flags.includes(a));
  const verbose = has(argv, "--verbose") || !!process.env.HOSTKIT_DEBUG && process.env.HOSTKIT_DEBUG !== "0";
  const detailed = has(argv, "--detailed-exitcode");
  try {
    // Flags before the verb: only the ones every command takes.
    let i = 0;
    let help = false;
    for (; i < argv.length && argv[i]!.startsWith("-"); i++) {
      const a = argv[i]!;
      if (a === "--version" || a === "-v") return out(`hostkit ${VERSION} (${COMMIT})\n`);
      if (a === "--help" || a === "-h") help = true;
      else if (a !== "--verbose" && a !== "--quiet" && a !== "-q") {
        const near = closest(a.replace(/^-+/, ""), ["help", "version", "verbose", "quiet"]);
        throw usageError(`unknown flag ${a}`, near ? `did you mean --${near}? (flags of a command go after it: hostkit COMMAND --help)` : "flags of a command go after it: hostkit COMMAND --help");
      }
    }
    const verb = argv[i];
    const { mainHelp, verbHelp, argsOf } = await import("./cli/help.ts");
    if (verb === undefined) return out(mainHelp());
    if (verb === "version") return out(`hostkit ${VERSION} (${COMMIT})\n`);
    const unknownVerb = (name: string) => {
      const near = closest(name, Object.keys(VERBS));
      return usageError(`unknown command ${JSON.stringify(name)}`, near ? `did you mean hostkit ${near}? (hostkit help lists the commands)` : "hostkit help lists the commands");
    };
    if (!VERBS[verb]) throw unknownVerb(verb);
    const rest = argv.slice(i + 1);
    if (verb === "help") {
      const topic = rest.find((a) => !a.startsWith("-"));
      if (topic === undefined) return out(help || has(rest, "--help", "-h") ? await verbHelp("help") : mainHelp());
      if (!VERBS[topic]) throw unknownVerb(topic);
      return out(await verbHelp(topic));
    }
    if (help || has(rest, "--help", "-h")) return out(await verbHelp(verb));

    const cmd = await VERBS[verb]!.load();
    checkArgs(verb, await argsOf(cmd), rest);
    const { setupOutput } = await import("./cli/output.ts");
    setupOutput({ verbose, quiet: has(rest, "--quiet", "-q") || has(argv.slice(0, i), "--quiet", "-q") });
    const { guardPassword } = await import("./cli/password.ts");
    await guardPassword(rest);
    const { runCommand } = await import("citty");
    // Run the verb directly: citty drops a sub-command's return value, which carries our exit code.
    const { result } = await runCommand(cmd, { rawArgs: rest });
    return typeof result === "number" ? result : 0;
  } catch (e) {
    const { reportError } = await import("./cli/errors.ts");
    return reportError(e, { verbose, detailedExitcode: detailed });
  }
}

if (import.meta.main) {
  process.exitCode = await run(process.argv.slice(2));
}
