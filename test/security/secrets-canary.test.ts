/**
 * Issue 8, items 9 and 10 and the run records: secret canaries set in the controller's environment
 * reach the env file on the target and appear in no output and no stored artifact — across the moves
 * that used to leak them, through the compiled binary:
 * - a key moved from `secret` to `set` (the plan printed `~ SEC: "CANARY…" → "nowplain"` and stored
 *   the old value in --out and the tracked run's plan.json); and back from `set` to `secret`;
 * - a `p.file` declared over an env file (the plan printed the whole old file), with the env file
 *   0600 and 0644 (a HostKit env file is never shown, whatever its mode);
 * - the down plans derived from those runs;
 * - run directories 0700, plan.json / run.json / --out plans 0600.
 */
import { afterAll, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { filesUnder, hk, infra, modeOf, removeTempDirs, tempDir, type CliResult } from "./secrets-helpers.ts";

afterAll(removeTempDirs);

// Every canary starts with "CANARY": the checks look for that prefix, so no variant slips through.
const CANARY = `CANARY-${randomUUID()}`;
const CANARY2 = `CANARY2-${randomUUID()}`;
const env = { HK_SEC: CANARY, HK_SEC2: CANARY2 };

/** Every output and every artifact so far, as [where, text]. */
const seen: [string, string][] = [];
const keep = (where: string, r: CliResult) => seen.push([where, r.stdout + r.stderr]);

function version(dir: string, body: string) {
  infra(dir, `export default project("canary", (p) => {\n${body}\n});`);
}

const dir = tempDir("hk-canary-");
const root = tempDir("hk-canary-root-");
const envPath = join(root, "etc/app/app.env");
const outs: string[] = [];

async function step(name: string): Promise<string> {
  const out = join(dir, `${name}.plan.json`);
  outs.push(out);
  const text = await hk(["plan", "config.ts", "--root", root], { cwd: dir, env });
  const json = await hk(["plan", "config.ts", "--root", root, "--json", "--out", out], { cwd: dir, env });
  const applied = await hk(["apply", "config.ts", "--root", root, "--confirm", "--track"], { cwd: dir, env });
  for (const [w, r] of [["plan", text], ["plan --json", json], ["apply", applied]] as const) {
    keep(`${name}: ${w}`, r);
    expect({ name, w, code: r.code, stderr: r.code ? r.stderr : "" }).toEqual({ name, w, code: 0, stderr: "" });
  }
  seen.push([`${name}: --out`, readFileSync(out, "utf8")]);
  return text.stdout;
}

/** The outputs and artifacts of this stage that hold a canary. */
function leaks(from: number): string[] {
  const runs = join(dir, ".hostkit/runs");
  const stored = filesUnder(runs).map((f) => [f, readFileSync(f, "utf8")] as [string, string]);
  return [...seen.slice(from), ...stored].filter(([, s]) => s.includes("CANARY")).map(([w]) => w);
}

test("v1 → v2: a key moved from `secret` to `set`: the diff says (secret value changed); the old value is in no output and no stored plan", async () => {
  version(dir, `  p.envFile("/etc/app/app.env", { set: { PORT: 4000 }, secret: { SEC: secretEnv("HK_SEC") } });`);
  await step("v1");
  expect(readFileSync(envPath, "utf8")).toContain(`SEC=${CANARY}\n`);
  version(dir, `  p.envFile("/etc/app/app.env", { set: { PORT: 4000, SEC: "nowplain" } });`);
  const from = seen.length;
  const v2 = await step("v2");
  expect(v2).toContain('~ SEC: (secret value changed) → "nowplain"');
  expect(readFileSync(envPath, "utf8")).toContain("SEC=nowplain\n");
  expect(leaks(0)).toEqual([]);
  expect(seen.length - from).toBe(4);
}, 60_000);

test("v3: `set` back to `secret` (another canary, a 0644 env file)", async () => {
  version(dir, `  p.envFile("/etc/app/app.env", { set: { PORT: 4000 }, secret: { SEC: secretEnv("HK_SEC2") }, mode: 0o644 });`);
  await step("v3");
  expect(readFileSync(envPath, "utf8")).toContain(`SEC=${CANARY2}\n`);
  expect(modeOf(envPath)).toBe("0644");
  expect(leaks(0)).toEqual([]);
}, 60_000);

test("v4: a file over a world-readable HostKit env file shows and keeps none of its old content", async () => {
  version(dir, `  p.file("/etc/app/app.env", { content: "PORT=4000\\n", mode: 0o644 });`);
  const v4 = await step("v4");
  expect(v4).toContain("(previous content not shown: an env file HostKit wrote: it may hold secret values)");
  expect(v4).toContain("+PORT=4000");
  expect(readFileSync(envPath, "utf8")).toBe("PORT=4000\n");
  expect(leaks(0)).toEqual([]);
}, 60_000);

test("v5 → v6: the same over a 0600 env file", async () => {
  version(dir, `  p.envFile("/etc/app/app.env", { set: { PORT: 4000 }, secret: { SEC: secretEnv("HK_SEC") } });`);
  await step("v5");
  version(dir, `  p.file("/etc/app/app.env", { content: "PORT=4001\\n", mode: 0o600 });`);
  const v6 = await step("v6");
  expect(v6).toContain("(previous content not shown: ");
  expect(leaks(0)).toEqual([]);
}, 60_000);

test("down --last: its plan refers to the backup; applying it restores the secret byte for byte, printing none", async () => {
  const downOut = join(dir, "down.plan.json");
  outs.push(downOut);
  const down = await hk(["down", "--last", "config.ts", "--root", root, "--out", downOut], { cwd: dir, env });
  keep("down --last", down);
  expect(down.code).toBe(0);
  seen.push(["down --out", readFileSync(downOut, "utf8")]);
  const applied = await hk(["apply", "--plan", downOut, "--root", root, "--confirm", "--track"], { cwd: dir, env });
  keep("apply down", applied);
  expect(applied.code).toBe(0);
  expect(readFileSync(envPath, "utf8")).toContain(`SEC=${CANARY}\n`);
  expect(seen.length).toBeGreaterThan(20);
  expect(leaks(0)).toEqual([]);
  // The backups (0600 in 0700 directories) are the one place that holds them: that is what restores them.
  const backups = join(dir, ".hostkit/hostkit_backups");
  expect(filesUnder(backups).some((f) => readFileSync(f, "utf8").includes(CANARY))).toBe(true);
  for (const f of filesUnder(backups)) expect(modeOf(f)).toBe("0600");
}, 60_000);

test("run directories are 0700; plan.json, run.json and every --out plan 0600", () => {
  const runs = join(dir, ".hostkit/runs");
  expect(modeOf(runs)).toBe("0700");
  const ids = readdirSync(runs);
  expect(ids.length).toBe(7);
  for (const id of ids) {
    expect({ id, dir: modeOf(join(runs, id)) }).toEqual({ id, dir: "0700" });
    for (const f of ["plan.json", "run.json"]) expect({ id, f, mode: modeOf(join(runs, id, f)) }).toEqual({ id, f, mode: "0600" });
  }
  expect(outs.length).toBe(7);
  for (const out of outs) expect({ out, mode: modeOf(out) }).toEqual({ out, mode: "0600" });
});
