/**
 * Help snapshot, through the compiled binary: every verb's help renders, ends with 2–3 examples,
 * lists exactly the flags the verb accepts (and the examples use only those, with valid values);
 * the top-level help documents the exit codes and JSON kinds exactly as README.md's CLI section does.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { binary, hk } from "../helpers/binary.ts";
import { REPO } from "../helpers/cli.ts";
import { VERBS } from "../../src/cli/verbs.ts";
import { argsOf, EXIT_CODES, JSON_KINDS } from "../../src/cli/help.ts";
import { checkArgs } from "../../src/cli/flags.ts";

beforeAll(async () => {
  await binary();
}, 180_000);

/** A help section's lines (between its heading and the next blank line). */
function section(help: string, name: string): string[] {
  const lines = help.split("\n");
  const start = lines.findIndex((l) => l.startsWith(name));
  if (start === -1) return [];
  const end = lines.findIndex((l, i) => i > start && l.trim() === "");
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** Split an example command line as a shell would (single quotes only; no pipes past `|`). */
function argv(line: string): string[] {
  const cmd = line.split(/\s[|>]\s/)[0]!;
  return [...cmd.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

const verbs = Object.keys(VERBS);

test("hostkit, hostkit --help and hostkit help print the same overview: every command, exit codes, JSON kinds", async () => {
  const [bare, long, verb] = await Promise.all([hk([]), hk(["--help"]), hk(["help"])]);
  expect(bare.stdout).toBe(long.stdout);
  expect(verb.stdout).toBe(long.stdout);
  expect(long.code).toBe(0);
  const commands = section(long.stdout, "COMMANDS").map((l) => l.trim().split(/\s+/)[0]);
  expect(commands).toEqual(verbs);
  const codes = section(long.stdout, "EXIT CODES").map((l) => l.trim().split(/\s+/)[0]);
  expect(codes).toEqual(EXIT_CODES.map(([c]) => c));
  const kinds = section(long.stdout, "JSON OUTPUT").slice(1).map((l) => l.trim().split(/\s+/)[0]);
  expect(kinds).toEqual(JSON_KINDS.map(([k]) => k));
});

describe.each(verbs)("hostkit %s", (verb) => {
  test("help renders the same both ways, with 2–3 examples, listing exactly the flags the verb takes", async () => {
    const [a, b] = await Promise.all([hk([verb, "--help"]), hk(["help", verb])]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toStartWith(`hostkit ${verb}: `);
    const examples = section(a.stdout, "EXAMPLES").map((l) => l.trim());
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(examples.length).toBeLessThanOrEqual(3);
    for (const e of examples) expect(e).toStartWith(`hostkit ${verb}`);
    // The flags shown are the verb's definition, no more, no less.
    const shown = section(a.stdout, "FLAGS").map((l) => /--([a-z-]+)/.exec(l)?.[1]).filter(Boolean);
    const defined = Object.entries(await argsOf(await VERBS[verb]!.load())).filter(([, d]) => d.type !== "positional").map(([n]) => n);
    expect(shown.sort()).toEqual(defined.sort());
    // Each example parses: only real flags, valid values, the right number of arguments.
    const args = await argsOf(await VERBS[verb]!.load());
    for (const e of examples) {
      const words = argv(e).slice(2);
      expect({ example: e, error: (() => { try { checkArgs(verb, args, words); return ""; } catch (err) { return (err as Error).message; } })() }).toEqual({ example: e, error: "" });
    }
  });

});

test.each(verbs.filter((v) => v !== "help"))("hostkit %s takes --verbose and --quiet", async (verb) => {
  const flags = section((await hk([verb, "--help"])).stdout, "FLAGS").join("\n");
  expect(flags).toContain("--verbose");
  expect(flags).toContain("-q, --quiet");
});

test("README's CLI section lists the same exit codes and JSON kinds as --help", async () => {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const cli = readme.slice(readme.indexOf("## Command line"), readme.indexOf("\n## ", readme.indexOf("## Command line") + 5));
  expect(cli.length).toBeGreaterThan(100);
  for (const [code, meaning] of EXIT_CODES) expect(cli).toContain(`| ${code} | ${meaning} |`);
  for (const [kind, by, schema] of JSON_KINDS) expect(cli).toContain(`| \`${kind}\` | ${by} | \`hostkit schema ${schema}\` |`);
  const help = (await hk(["--help"])).stdout;
  for (const [code, meaning] of EXIT_CODES) expect(help).toMatch(new RegExp(`^ {2}${code} +${meaning.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
});
