/**
 * The host lock: a second apply is refused naming the first run; the lock is released on success,
 * on failure and on Ctrl-C; a lock whose holder is gone is reported stale and --break-lock breaks it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { hostkit, infraFile, MAIN, removeTempDirs, REPO, tempDir, USER_ENV } from "../plan/helpers.ts";
import { bigProject, lockHolder, rootLock, until } from "./big.ts";

afterAll(removeTempDirs);

/** The CLI in the background; with `ownGroup` it leads its own process group (setsid), like a job in a terminal. */
function spawnApply(args: string[], env: Record<string, string> = {}, ownGroup = false) {
  const proc = Bun.spawn([...(ownGroup ? ["setsid"] : []), process.execPath, MAIN, "apply", ...args], { cwd: REPO, env: { ...USER_ENV, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const out = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]).then(([stdout, stderr, code]) => ({ stdout, stderr, code }));
  return { proc, out };
}

describe("concurrent applies", () => {
  test("the second is refused naming the first run; the first finishes and releases the lock", async () => {
    const dir = tempDir("hostkit-lock-");
    const root = join(dir, "root");
    // Batched writes are fast: enough files that the first apply is still running, and the second one
    // declares a single file (the lock is the root's), so it reaches the lock without planning 3,000.
    const config = bigProject(dir, 3000, 16 * 1024);
    const small = bigProject(dir, 1, 16, "small");
    const first = spawnApply([config, "--root", root, "--confirm"]);
    const holder = await until(() => lockHolder(root), 20_000, "the first apply to take the lock");
    expect(holder.pid).toBe(first.proc.pid);

    const second = await hostkit(["apply", small, "--root", root, "--confirm"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another apply holds the host lock: run ${holder.runId} (pid ${first.proc.pid} on ${hostname()}`);
    expect(second.stderr).not.toContain("applying");

    const done = await first.out;
    expect(done.code).toBe(0);
    expect((done.stdout + done.stderr).includes(`applied: run ${holder.runId}`)).toBe(true);
    expect(existsSync(rootLock(root))).toBe(false);
    expect(readdirSync(join(root, "big")).length).toBe(3000);
  }, 60_000);
});

test("a failing change: stops there, reports applied / failed / not applied, exits 1, lock released", async () => {
  const dir = tempDir("hostkit-lock-fail-");
  const root = join(dir, "root");
  mkdirSync(join(root, "srv"), { recursive: true });
  writeFileSync(join(root, "srv/blocker"), "a regular file where a directory is needed\n");
  const config = infraFile(
    dir,
    `export default project("fail", (p) => {
  p.file("/srv/first.conf", { content: "1\\n" });
  p.file("/srv/blocker/inside.conf", { content: "2\\n" });
  p.file("/srv/third.conf", { content: "3\\n" });
});`,
  );
  const r = await hostkit(["apply", config, "--root", root, "--confirm"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/run \S+-fail-up failed\./);
  expect(r.stderr).toContain("applied (1): file:/srv/first.conf");
  expect(r.stderr).toMatch(/failed: file:\/srv\/blocker\/inside\.conf: write file \/srv\/blocker\/inside\.conf: exit \d: .*(Not a directory|File exists|\/srv\/blocker is not a directory)/);
  expect(r.stderr).toContain("not applied (1): file:/srv/third.conf");
  expect(existsSync(join(root, "srv/first.conf"))).toBe(true);
  expect(existsSync(join(root, "srv/third.conf"))).toBe(false);
  expect(existsSync(rootLock(root))).toBe(false);
  // --json reports the same as a result event.
  const j = await hostkit(["apply", config, "--root", root, "--confirm", "--json"]);
  expect(j.code).toBe(1);
  const result = JSON.parse(j.stdout.trim().split("\n").pop()!);
  expect(result).toMatchObject({ type: "result", status: "failed" });
  expect(result.results.map((x: { key: string; status: string }) => `${x.key} ${x.status}`)).toEqual(["file:/srv/blocker/inside.conf failed", "file:/srv/third.conf pending"]);
  expect(existsSync(rootLock(root))).toBe(false);
}, 30_000);

describe.each([
  ["to the applier", false],
  ["to its whole process group, as a terminal sends it", true],
])("Ctrl-C (SIGINT %s) mid-apply", (_how, group) => {
  test("the current step finishes, the rest is not applied, exit 130, lock released", async () => {
    const dir = tempDir("hostkit-lock-int-");
    const root = join(dir, "root");
    // Batched writes put ~64 files in place per step (one op): enough files that Ctrl-C lands mid-apply.
    const config = bigProject(dir, 3000, 16 * 1024);
    const run = spawnApply([config, "--root", root, "--confirm"], {}, true);
    await until(() => existsSync(join(root, "big")) && readdirSync(join(root, "big")).filter((f) => f.endsWith(".dat")).length >= 20, 30_000, "20 files to be written");
    if (group) process.kill(-run.proc.pid, "SIGINT");
    else run.proc.kill("SIGINT");
    const r = await run.out;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("interrupted: finishing the current step, then stopping");
    const applied = Number(/applied \((\d+)\)/.exec(r.stderr)?.[1]);
    const pending = Number(/not applied \((\d+)\)/.exec(r.stderr)?.[1]);
    expect(r.stderr).toMatch(/run \S+-big-up interrupted\./);
    // A writer hit by the signal before its first line (where it starts ignoring SIGINT) can only be
    // reported as the interrupted step: exit 130, nothing renamed.
    const failed = r.stderr.split("\n").filter((l) => l.startsWith("  failed: "));
    expect(failed.every((l) => l.endsWith(": exit 130"))).toBe(true);
    expect(failed.length).toBeLessThanOrEqual(group ? 1 : 0);
    expect(applied).toBeGreaterThanOrEqual(20);
    expect(pending).toBeGreaterThan(0);
    expect(applied + failed.length + pending).toBe(3000);
    // What the report says is what the tree holds: no half step, no temp file.
    expect(readdirSync(join(root, "big")).length).toBe(applied);
    expect(existsSync(rootLock(root))).toBe(false);
    // And the next apply picks up the rest.
    const next = await hostkit(["apply", config, "--root", root, "--confirm"]);
    expect(next.code).toBe(0);
    expect(next.stdout).toContain(`Plan: ${pending + failed.length} to create, 0 to update, 0 to delete, 0 to run, ${applied} unchanged.`);
  }, 60_000);
});

describe("a stale lock", () => {
  test("holder pid gone on this host: reported stale; --break-lock breaks it and the apply runs", async () => {
    const dir = tempDir("hostkit-lock-stale-");
    const root = join(dir, "root");
    const config = infraFile(dir, `export default project("stale", (p) => { p.file("/x.conf", { content: "x\\n" }); });`);
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    mkdirSync(rootLock(root), { recursive: true });
    writeFileSync(join(rootLock(root), "holder"), `${JSON.stringify({ runId: "20260101-000000-stale-up", host: hostname(), pid: gone.pid, startedAt: "2026-01-01T00:00:00Z" })}\n`);

    const refused = await hostkit(["apply", config, "--root", root, "--confirm"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the host lock is stale: run 20260101-000000-stale-up (pid ${gone.pid} on ${hostname()}, since 2026-01-01T00:00:00Z) is gone`);
    expect(refused.stderr).toContain("hint: break it with --break-lock");
    expect(existsSync(join(root, "x.conf"))).toBe(false);

    const broke = await hostkit(["apply", config, "--root", root, "--confirm", "--break-lock"]);
    expect(broke.code).toBe(0);
    expect(existsSync(join(root, "x.conf"))).toBe(true);
    expect(existsSync(rootLock(root))).toBe(false);
  });

  test("a holder on another controller is not provably gone: --break-lock does not break it", async () => {
    const dir = tempDir("hostkit-lock-other-");
    const root = join(dir, "root");
    const config = infraFile(dir, `export default project("other", (p) => { p.file("/x.conf", { content: "x\\n" }); });`);
    mkdirSync(rootLock(root), { recursive: true });
    writeFileSync(join(rootLock(root), "holder"), `${JSON.stringify({ runId: "20260101-000000-other-up", host: "elsewhere.example", pid: 1, startedAt: "2026-01-01T00:00:00Z" })}\n`);
    const r = await hostkit(["apply", config, "--root", root, "--confirm", "--break-lock"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("another apply holds the host lock: run 20260101-000000-other-up (pid 1 on elsewhere.example");
    expect(existsSync(join(root, "x.conf"))).toBe(false);
    expect(existsSync(join(rootLock(root), "holder"))).toBe(true);
  });
});
