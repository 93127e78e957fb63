/**
 * Issue 11, points 5 and 6, through the compiled binary. Machine output: every JSON document has
 * kind and formatVersion and validates against `hostkit schema NAME` (a real apply's events too);
 * plan --json has one shape. Human output: progress on stderr, results on stdout, colour rules,
 * a failure's error printed once, an aligned runs table, down plans from tracked runs with diffs,
 * an already-applied down plan recognised.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binary, hk, leaks } from "../helpers/binary.ts";
import { validate, type Schema } from "../helpers/json-schema.ts";

let dir = "";
const ESC = "\x1b[";

const v1 = `import { project } from "hostkit";
export default project("demo", (p) => {
  p.directory("/etc/demo", { mode: 0o755 });
  p.file("/etc/demo/app.conf", { content: "port=1\\nname=demo\\n" });
});
`;

function infra(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const schemas: Record<string, Schema> = {};

beforeAll(async () => {
  await binary();
  dir = mkdtempSync(join(tmpdir(), "hostkit-output-"));
  for (const name of ["plan", "plans", "dump", "events", "runs"]) {
    const r = await hk(["schema", name]);
    expect(r.code).toBe(0);
    schemas[name] = JSON.parse(r.stdout) as Schema;
  }
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("JSON: kind, formatVersion, a schema for each", () => {
  test("dump --json", async () => {
    const r = await hk(["dump", "examples/first-example.ts", "--json"]);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ kind: "hostkit.dump", formatVersion: 1, project: "toys" });
    expect(validate(schemas.dump!, doc)).toEqual([]);
    expect(validate(schemas.dump!, { ...doc, kind: "hostkit.plan" }).length).toBeGreaterThan(0);
  });

  test("plan --json is a hostkit.plans document (an array of plans) even for one host", async () => {
    const r = await hk(["plan", infra("v1.ts", v1), "--root", join(dir, "empty"), "--json"]);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ kind: "hostkit.plans", formatVersion: 1 });
    expect(doc.plans).toHaveLength(1);
    expect(doc.plans[0]).toMatchObject({ kind: "hostkit.plan", formatVersion: 1, project: "demo" });
    expect(validate(schemas.plans!, doc)).toEqual([]);
  });

  test("apply --json: every line is a hostkit.event that validates against `hostkit schema events`", async () => {
    const root = join(dir, "events-root");
    const r = await hk(["apply", infra("v1.ts", v1), "--root", root, "--confirm", "--track", "--json"]);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { kind: string; formatVersion: number; type: string });
    // The last "op" writes the managed-resources record (the final step of every apply).
    expect(events.map((e) => e.type)).toEqual(["plan", "run.record", "apply.start", "change.start", "op", "change.done", "change.start", "op", "change.done", "op", "apply.done", "result"]);
    for (const e of events) expect({ type: e.type, errors: validate(schemas.events!, e) }).toEqual({ type: e.type, errors: [] });
    expect(validate(schemas.events!, { ...events[0], type: "made-up" }).length).toBeGreaterThan(0);
    // A failing run's events validate too.
    const failRoot = join(dir, "fail-root");
    // A regular file where the directory's parent goes: the plan cannot foresee it, mkdir fails there.
    mkdirSync(failRoot, { recursive: true });
    writeFileSync(join(failRoot, "etc"), "a file where the parent directory goes\n");
    const failed = await hk(["apply", infra("v1.ts", v1), "--root", failRoot, "--confirm", "--json"]);
    expect(failed.code).toBe(1);
    const fe = failed.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(fe.map((e: { type: string }) => e.type)).toContain("change.failed");
    for (const e of fe) expect(validate(schemas.events!, e)).toEqual([]);
  });

  test("runs --json", async () => {
    const r = await hk(["runs", infra("v1.ts", v1), "--json"]);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ kind: "hostkit.runs", formatVersion: 1 });
    expect(doc.runs.length).toBeGreaterThan(0);
    expect(validate(schemas.runs!, doc)).toEqual([]);
  });
});

describe("human output", () => {
  test("apply: progress on stderr; stdout holds the plan and the result only", async () => {
    const r = await hk(["apply", infra("v1.ts", v1), "--root", join(dir, "streams"), "--confirm"]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/applying|✓/);
    expect(r.stdout).toMatch(/^Plan for demo on root/);
    expect(r.stdout).toMatch(/^applied: run \S+ \(2 change\(s\)\)\n$/m);
    expect(r.stderr).toMatch(/^applying 2 change\(s\), run \S+\n✓ directory:\/etc\/demo {2}\d+ ms\n✓ file:\/etc\/demo\/app.conf {2}\d+ ms\n$/);
  });

  test("colour: none into a pipe, FORCE_COLOR=1 forces it, NO_COLOR wins over a terminal's default", async () => {
    const file = infra("v1.ts", v1);
    const root = join(dir, "colour");
    const piped = await hk(["plan", file, "--root", root], { env: { NO_COLOR: "" } });
    expect(piped.stdout).not.toContain(ESC);
    const forced = await hk(["plan", file, "--root", root], { env: { NO_COLOR: "", FORCE_COLOR: "1" } });
    expect(forced.stdout).toContain(`${ESC}32m+ directory:/etc/demo`);
    const err = await hk(["plan", file, "--roott", root], { env: { NO_COLOR: "", FORCE_COLOR: "1" } });
    expect(err.stderr).toStartWith(`${ESC}31merror:${ESC}0m unknown flag`);
    const off = await hk(["plan", file, "--root", root], { env: { NO_COLOR: "1" } });
    expect(off.stdout).not.toContain(ESC);
  });

  test("colour on a terminal (a pty from util-linux `script`), none there with NO_COLOR=1", async () => {
    const script = Bun.which("script");
    if (!script) {
      console.log("[skip] output.test.ts: `script` (util-linux) is not installed: no pty to test colour on a terminal");
      return;
    }
    const file = infra("v1.ts", v1);
    const onTty = async (noColor: string) => {
      const p = Bun.spawn([script, "-qec", `${await binary()} plan ${file} --root ${join(dir, "tty")}`, "/dev/null"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: noColor, FORCE_COLOR: "" } });
      const [out] = await Promise.all([new Response(p.stdout).text(), p.exited]);
      return out;
    };
    expect(await onTty("")).toContain(`${ESC}32m+ directory:/etc/demo`);
    const plain = await onTty("1");
    expect(plain).toContain("+ directory:/etc/demo");
    expect(plain).not.toContain(ESC);
  });

  test("a failed change: its error printed once, no badges, one error line", async () => {
    const failRoot = join(dir, "fail-once");
    // A regular file where the directory's parent goes: the plan cannot foresee it, mkdir fails there.
    mkdirSync(failRoot, { recursive: true });
    writeFileSync(join(failRoot, "etc"), "a file where the parent directory goes\n");
    const r = await hk(["apply", infra("v1.ts", v1), "--root", failRoot, "--confirm", "--track", "--rollback-on-failure"]);
    expect(r.code).toBe(1);
    const all = r.stdout + r.stderr;
    const cause = /failed: directory:\/etc\/demo: (.*)$/m.exec(r.stderr)![1]!;
    expect(all.split(cause).length - 1).toBe(1);
    expect(all).not.toMatch(/ ERROR | WARN |\[error\]|\[warn\]/);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("error:"))).toEqual([expect.stringMatching(/^error: run \S+ failed\.$/)]);
    expect(leaks(r.stderr)).toEqual([]);
  });

  test("runs: every column starts where its header does", async () => {
    const r = await hk(["runs", infra("v1.ts", v1)]);
    const [header, ...rows] = r.stdout.trimEnd().split("\n");
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const starts = (line: string) => [...line.matchAll(/(?<=^| {2})\S/g)].map((m) => m.index!).slice(0, 6);
    for (const row of rows) expect(starts(row)).toEqual(starts(header!));
  });
});

describe("down plans of tracked runs", () => {
  test("show the same content diff as any plan (against the backup); an applied one is recognised, by run when tracked", async () => {
    const root = join(dir, "down-root");
    const runsRoot = join(dir, "down-runs");
    const one = infra("d1.ts", v1);
    const two = infra("d2.ts", v1.replace("port=1", "port=2"));
    for (const f of [one, two]) expect((await hk(["apply", f, "--root", root, "--confirm", "--track", "--runs-root", runsRoot])).code).toBe(0);
    const d = await hk(["down", two, "--root", root, "--last", "--runs-root", runsRoot]);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/~ file:\/etc\/demo\/app.conf {2}restore previous content from the backup of run \S+\n {4}@@\n {4}-port=2\n {4}\+port=1\n {5}name=demo\n/);
    // Applied without tracking, then derived and applied again: recognised, not "stale".
    const plan = join(dir, "down.plan.json");
    expect((await hk(["down", two, "--root", root, "--last", "--runs-root", runsRoot, "--out", plan])).code).toBe(0);
    // A saved plan is applied to the target named on the command line (an unsigned plan does not choose it).
    expect((await hk(["apply", "--plan", plan, "--root", root, "--runs-root", runsRoot, "--confirm"])).code).toBe(0);
    const again = await hk(["apply", "--plan", plan, "--root", root, "--runs-root", runsRoot, "--confirm"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: run \S+ was already rolled back: the target is already as this down plan leaves it; nothing to do\n/);
    expect(again.stderr).not.toContain("stale");
    // Applied tracked: down --last names the run that rolled it back.
    const root2 = join(dir, "down-root-2");
    const runs2 = join(dir, "down-runs-2");
    for (const f of [one, two]) expect((await hk(["apply", f, "--root", root2, "--confirm", "--track", "--runs-root", runs2])).code).toBe(0);
    const plan2 = join(dir, "down2.plan.json");
    expect((await hk(["down", two, "--root", root2, "--last", "--runs-root", runs2, "--out", plan2])).code).toBe(0);
    expect((await hk(["apply", "--plan", plan2, "--root", root2, "--confirm", "--track", "--runs-root", runs2])).code).toBe(0);
    const last = await hk(["down", two, "--root", root2, "--last", "--runs-root", runs2]);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/^error: run (\S+) was already rolled back by run \S+-demo-down\n {2}hint: nothing to reverse; /);
  });
});
