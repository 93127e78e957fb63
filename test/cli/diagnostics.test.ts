/**
 * Issue 11, point 3, through the compiled binary: every user error is diagnostics with file:line
 * (never line 0, never bundle source, never a $bunfs path, never a stack); all mistakes of a file
 * at once; async callbacks, bad imports and misspelled exports are clear errors naming the infra
 * file; an unwritable --out and a plan given as an infra file are clear errors.
 */
import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binary, hk, leaks } from "../helpers/binary.ts";
import { REPO } from "../helpers/cli.ts";
import { reportError } from "../../src/cli/errors.ts";

let dir = "";

beforeAll(async () => {
  await binary();
  dir = mkdtempSync(join(tmpdir(), "hostkit-diag-"));
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIXTURES = [
  ...readdirSync(join(REPO, "test/fixtures/bad")).map((f) => `test/fixtures/bad/${f}`),
  ...readdirSync(join(REPO, "test/fixtures/bad-multi")).map((f) => `test/fixtures/bad-multi/${f}`),
].filter((f) => f.endsWith(".ts"));

describe.each(FIXTURES)("%s", (fixture) => {
  test("dump and plan: diagnostics at file:line (line ≥ 1), nothing on stdout, no stack, no bundle source, no $bunfs path", async () => {
    for (const args of [["dump", fixture], ["plan", fixture, "--root", join(dir, "never")]]) {
      const r = await hk(args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 1, stdout: "" });
      expect(leaks(r.stderr)).toEqual([]);
      const lines = r.stderr.trimEnd().split("\n");
      for (const l of lines) expect(l).toMatch(/^error: test\/fixtures\/bad(-multi)?\/[\w-]+\.ts:[1-9]\d*: \S|^ {2}hint: /);
    }
  });
});

test("a file with three mistakes reports all three, in file order", async () => {
  const r = await hk(["dump", "test/fixtures/bad-multi/three-mistakes.ts"]);
  expect(r.code).toBe(1);
  expect(r.stderr.split("\n").filter((l) => l.startsWith("error:")).map((l) => /:(\d+): (.*?):/.exec(l)!.slice(1))).toEqual([
    ["5", 'project "toys" › directory "srv/toys"'],
    ["7", 'project "toys" › file "/etc/toys/key" › mode'],
    ["9", 'project "toys" › directory "/srv/other" › mdoe'],
  ]);
});

test("at most 20 diagnostics, saying it stopped", async () => {
  const file = join(dir, "many.ts");
  const lines = Array.from({ length: 25 }, (_, i) => `  p.directory("relative/${i}");`);
  writeFileSync(file, `import { project } from "hostkit";\nexport default project("many", (p) => {\n${lines.join("\n")}\n});\n`);
  const r = await hk(["dump", file]);
  expect(r.code).toBe(1);
  expect(r.stderr.split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(20);
  expect(r.stderr.trimEnd()).toEndWith("stopped after 20 errors");
  expect(leaks(r.stderr)).toEqual([]);
});

test("an async callback is refused before anything is planned (no 'No changes' first)", async () => {
  const r = await hk(["plan", "test/fixtures/bad/async-callback.ts", "--root", join(dir, "never")]);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(
    'error: test/fixtures/bad/async-callback.ts:4: project "toys": the callback must not be async: declarations are made synchronously\n  hint: remove `async`; read files with readFileSync (node:fs) and compute values before project(…)\n',
  );
});

test("a bad import and a misspelled export name the infra file and the line", async () => {
  const imp = await hk(["dump", "test/fixtures/bad/bad-import.ts"]);
  expect(imp.stderr).toBe('error: test/fixtures/bad/bad-import.ts:4: cannot find module "./no-such-module.ts"\n  hint: the path is relative to this file; check its name and extension\n');
  const exp = await hk(["dump", "test/fixtures/bad/misspelled-export.ts"]);
  expect(exp.stderr).toBe('error: test/fixtures/bad/misspelled-export.ts:3: "projet" is not exported by "hostkit"\n  hint: did you mean project?\n');
});

test("plan --out into /proc is a clear error, not an internal one", async () => {
  const r = await hk(["plan", "examples/first-example.ts", "--root", join(dir, "r"), "--out", "/proc/x.json"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe("error: --out: cannot write the plan to /proc/x.json: its folder does not exist or cannot hold files\n  hint: choose a writable path, e.g. --out up.plan.json\n");
});

test("apply PLAN.json (without --plan) recognises the plan and says to use --plan; show prints it", async () => {
  const plan = join(dir, "up.plan.json");
  expect((await hk(["plan", "examples/first-example.ts", "--root", join(dir, "r"), "--out", plan])).code).toBe(0);
  const r = await hk(["apply", plan, "--confirm"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(`error: ${plan}: is a saved plan, not an infra file\n  hint: apply it with: hostkit apply --plan ${plan}\n`);
  const shown = await hk(["show", plan]);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toStartWith("Plan for toys on root (root ");
  expect(shown.stdout).toContain("+ account:toys-exograph");
  expect(shown.stdout).toMatch(/^Plan: \d+ to create/m);
  const json = JSON.parse((await hk(["show", plan, "--json"])).stdout);
  expect(json).toMatchObject({ kind: "hostkit.plan", formatVersion: 1, project: "toys" });
  const broken = join(dir, "broken.plan.json");
  writeFileSync(broken, '{"kind":"hostkit.plan","formatVersion":1}');
  const bad = await hk(["show", broken]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toStartWith(`error: plan file ${broken} › direction: is malformed`);
});

describe("an unexpected error", () => {
  const capture = (run: () => number) => {
    const spy = spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const code = run();
      return { code, text: spy.mock.calls.map((c) => String(c[0])).join("") };
    } finally {
      spy.mockRestore();
    }
  };
  const bug = () => {
    try {
      (undefined as unknown as { x: number }).x;
    } catch (e) {
      return e;
    }
  };

  test("is 'internal error' in one line with a hint, without a stack", () => {
    const { code, text } = capture(() => reportError(bug()));
    expect(code).toBe(1);
    expect(text).toMatch(/^internal error \(a bug in HostKit; please report it\): TypeError: undefined is not an object/);
    expect(text).toEndWith("  hint: run again with --verbose (or HOSTKIT_DEBUG=1) for the stack trace\n");
    expect(text).not.toMatch(/^\s+at /m);
  });

  test("shows a readable stack (frames only) with --verbose or HOSTKIT_DEBUG=1", () => {
    const verbose = capture(() => reportError(bug(), { verbose: true })).text;
    expect(verbose).toMatch(/^ {2}at .*diagnostics\.test\.ts/m);
    const saved = process.env.HOSTKIT_DEBUG;
    process.env.HOSTKIT_DEBUG = "1";
    try {
      expect(capture(() => reportError(bug())).text).toMatch(/^ {2}at /m);
    } finally {
      if (saved === undefined) delete process.env.HOSTKIT_DEBUG;
      else process.env.HOSTKIT_DEBUG = saved;
    }
  });
});
