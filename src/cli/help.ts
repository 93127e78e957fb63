/**
 * @internal `hostkit help [verb]`, `hostkit --help`, `hostkit VERB --help`. Rendered here rather than
 * by citty so every verb's help ends with real examples and the top-level help documents the exit
 * codes and JSON kinds (README.md's CLI section says the same; test/cli/help.test.ts compares them).
 */
import type { ArgsDef, CommandDef } from "citty";
import { VERSION } from "../version.ts";
import { VERBS } from "./verbs.ts";

export const EXIT_CODES: [string, string][] = [
  ["0", "success (plan --detailed-exitcode: no changes)"],
  ["1", "error: a bad declaration, an unreachable host, a failed change, a refused or stale plan"],
  ["2", "usage error: unknown flag, bad flag value, missing argument; with --detailed-exitcode, changes present (usage errors then exit 1)"],
  ["130", "interrupted (Ctrl-C); the current step finished, the rest was not applied"],
];

export const JSON_KINDS: [string, string, string][] = [
  ["hostkit.plan", "plan --out, down --out/--json, show --json", "plan"],
  ["hostkit.plans", "plan --json (one shape for any number of hosts)", "plans"],
  ["hostkit.dump", "dump --json", "dump"],
  ["hostkit.event", "apply --json (one event per line)", "events"],
  ["hostkit.runs", "runs --json", "runs"],
  ["hostkit.backups", "backup --json", "backups"],
];

function table(rows: string[][], indent = "  "): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n");
}

/** The flags of a verb as help shows them: `-q, --quiet`, `--out FILE`. */
export function flagRows(args: ArgsDef): string[][] {
  const rows: string[][] = [];
  for (const [name, d] of Object.entries(args)) {
    if (d.type === "positional") continue;
    const aliases = "alias" in d && d.alias ? (Array.isArray(d.alias) ? d.alias : [d.alias]) : [];
    const shorts = aliases.filter((a) => a.length === 1).map((a) => `-${a}, `).join("");
    const value = d.type === "boolean" ? "" : ` ${("valueHint" in d && d.valueHint) || "VALUE"}`;
    rows.push([`${shorts || "    "}--${name}${value}`, d.description ?? ""]);
  }
  return rows;
}

export async function verbHelp(verb: string): Promise<string> {
  const v = VERBS[verb]!;
  const cmd = await v.load();
  const meta = (typeof cmd.meta === "function" ? await cmd.meta() : await cmd.meta) ?? {};
  const args = ((typeof cmd.args === "function" ? await cmd.args() : await cmd.args) ?? {}) as ArgsDef;
  const positionals = Object.entries(args).filter(([, d]) => d.type === "positional");
  const usage = positionals.map(([n, d]) => `[${("valueHint" in d && d.valueHint) || n.toUpperCase()}]`).join(" ");
  const out = [`hostkit ${verb}: ${meta.description ?? v.summary}`, "", "USAGE", `  hostkit ${verb}${usage ? ` ${usage}` : ""} [flags]`];
  if (positionals.length) out.push("", "ARGUMENTS", table(positionals.map(([n, d]) => [("valueHint" in d && d.valueHint) || n.toUpperCase(), d.description ?? ""])));
  const flags = flagRows(args);
  if (flags.length) out.push("", "FLAGS", table(flags));
  out.push("", "EXAMPLES", ...v.examples.map((e) => `  ${e}`), "", "Exit codes and JSON output: hostkit help");
  return `${out.join("\n")}\n`;
}

export function mainHelp(): string {
  const out = [
    `hostkit ${VERSION}: host infrastructure as TypeScript: plan, apply and roll back`,
    "",
    "USAGE",
    "  hostkit COMMAND [ARGS] [flags]",
    "  hostkit help [COMMAND]",
    "",
    "COMMANDS",
    table(Object.entries(VERBS).map(([n, v]) => [n, v.summary])),
    "",
    "FLAGS (every command)",
    table([
      ["    --verbose", "More detail: debug lines, and a stack trace with an internal error (also HOSTKIT_DEBUG=1)"],
      ["-q, --quiet", "Only results, warnings and errors"],
      ["-h, --help", "Help for hostkit or a command"],
      ["-v, --version", "The version and the commit it was built from"],
    ]),
    "",
    "OUTPUT",
    "  Results (plans, tables, JSON) go to stdout; progress, warnings and errors to stderr.",
    "  Colour only on a terminal; NO_COLOR=1 turns it off, FORCE_COLOR=1 forces it on.",
    "",
    "EXIT CODES",
    table(EXIT_CODES),
    "",
    'JSON OUTPUT (every document has "kind" and "formatVersion"; hostkit schema NAME prints its JSON Schema)',
    table([["KIND", "PRINTED BY", "SCHEMA"], ...JSON_KINDS]),
    "",
    "EXAMPLES",
    "  hostkit init infra/",
    "  hostkit plan infra/config.ts --host prod --out up.plan.json",
    "  hostkit apply --plan up.plan.json --confirm",
  ];
  return `${out.join("\n")}\n`;
}

/** The args a command takes, resolved (citty allows a function or a promise). */
export async function argsOf(cmd: CommandDef): Promise<ArgsDef> {
  return ((typeof cmd.args === "function" ? await cmd.args() : await cmd.args) ?? {}) as ArgsDef;
}
