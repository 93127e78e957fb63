/**
 * Offline roots resolve as if chrooted, through the compiled binary: a link anywhere on a declared
 * path (a parent, or a declared directory itself) is refused in the plan and at apply time, naming the
 * path, and the link's target outside the tree is untouched byte for byte (content, owner, mode). Also:
 * `--root` that is a link to `/`, the host lock keyed by the canonical root, and `runs --prune` /
 * backup directories that never follow a run record or a pre-created link.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { hostkit, removeTempDirs, stackLines, tempDir, writeInfra } from "../integration/harness.ts";
import { snapshot } from "../down/helpers.ts";

afterAll(removeTempDirs);

/** A tree R, an outside directory O (a file in it, mode 0755), and an infra file. */
function setup(name: string, body: string): { dir: string; R: string; O: string; file: string } {
  const dir = tempDir(`sec-${name}-`);
  const R = join(dir, "tree");
  const O = join(dir, "outside");
  mkdirSync(join(R, "etc"), { recursive: true });
  mkdirSync(O, { mode: 0o755 });
  chmodSync(O, 0o755);
  writeFileSync(join(O, "config.conf"), "outside\n", { mode: 0o644 });
  const file = writeInfra(dir, "config.ts", `import { project } from "hostkit";\nexport default project("sec", (p) => {\n${body}\n});\n`);
  return { dir, R, O, file };
}

async function refused(args: string[], cwd: string, ...needles: string[]) {
  const r = await hostkit(args, { cwd });
  expect({ code: r.code, stack: stackLines(r.stderr) }).toEqual({ code: 1, stack: [] });
  for (const n of needles) expect(r.stderr).toContain(n);
  return r;
}

describe("a link on a declared path is refused (plan and apply), the outside untouched", () => {
  test("parent R/etc/app -> outside: the file is not written there (content, mode 0600, owner)", async () => {
    const { dir, R, O } = setup("parent", `  p.file("/etc/app/config.conf", { content: "PWNED\\n", mode: 0o600 });`);
    symlinkSync(O, join(R, "etc/app"));
    const before = snapshot(O);
    await refused(["plan", "config.ts", "--root", R], dir, "config.ts:3: file:/etc/app/config.conf: refusing /etc/app/config.conf: /etc/app is a symbolic link");
    await refused(["apply", "config.ts", "--root", R, "--confirm"], dir, "/etc/app is a symbolic link");
    expect(snapshot(O)).toEqual(before);
    expect(readFileSync(join(O, "config.conf"), "utf8")).toBe("outside\n");
  });

  test("a declared directory that is a link: its target is neither chowned nor chmodded", async () => {
    const { dir, R, O } = setup("dirlink", `  p.directory("/srv/data", { mode: 0o700, owner: "root" });`);
    mkdirSync(join(R, "srv"));
    symlinkSync(O, join(R, "srv/data"));
    const before = snapshot(join(dir));
    await refused(["apply", "config.ts", "--root", R, "--confirm"], dir, "refusing /srv/data: it is a symbolic link");
    expect(statSync(O).mode & 0o777).toBe(0o755);
    expect(snapshot(dir)).toEqual(before);
  });

  test("Debian's var/run -> /run: nothing is created through it", async () => {
    const { dir, R, O } = setup("varrun", `  p.directory("/var/run/app");\n  p.file("/var/run/app/pid.conf", { content: "1\\n" });`);
    mkdirSync(join(R, "var"));
    symlinkSync(O, join(R, "var/run"));
    await refused(["apply", "config.ts", "--root", R, "--confirm"], dir, "/var/run is a symbolic link");
    expect(readdirSync(O)).toEqual(["config.conf"]);
  });

  test("a linked etc/systemd/system receives neither unit files nor .wants links", async () => {
    const { dir, R, O } = setup("units", `  p.service("web", (s) => { s.daemon({ exec: ["/usr/bin/sleep", "infinity"] }); });`);
    mkdirSync(join(R, "etc/systemd"));
    symlinkSync(O, join(R, "etc/systemd/system"));
    await refused(["plan", "config.ts", "--root", R], dir, "systemd_service:web.service: refusing /etc/systemd/system/web.service: /etc/systemd/system is a symbolic link");
    await refused(["apply", "config.ts", "--root", R, "--confirm"], dir, "/etc/systemd/system is a symbolic link");
    expect(readdirSync(O)).toEqual(["config.conf"]);
  });

  test("a linked etc/passwd: no account is appended to the file it points at", async () => {
    const { dir, R, O } = setup("passwd", `  p.account("evil", { system: true });`);
    symlinkSync(join(O, "config.conf"), join(R, "etc/passwd"));
    await refused(["apply", "config.ts", "--root", R, "--confirm"], dir, "/etc/passwd");
    expect(readFileSync(join(O, "config.conf"), "utf8")).toBe("outside\n");
  });

  test("apply-time enforcement: a saved plan made before the swap is refused by the write itself", async () => {
    const { dir, R, O } = setup("saved", `  p.file("/srv/app/new.conf", { content: "PWNED\\n" });`);
    mkdirSync(join(R, "srv/app"), { recursive: true });
    const planned = await hostkit(["plan", "config.ts", "--root", R, "--out", "up.json"], { cwd: dir });
    expect(planned.stderr).toBe("");
    rmSync(join(R, "srv/app"), { recursive: true });
    symlinkSync(O, join(R, "srv/app")); // the fact read through it is unchanged: still "does not exist"
    await refused(["apply", "--plan", "up.json", "--root", R, "--confirm"], dir, "refusing /srv/app/new.conf: /srv/app is a symbolic link");
    expect(readdirSync(O)).toEqual(["config.conf"]);
  });

  test("down through a parent swapped for a link neither restores nor deletes outside", async () => {
    const { dir, R, O } = setup("down", `  p.file("/srv/app/config.conf", { content: "v2\\n" });\n  p.file("/srv/app/new.conf", { content: "new\\n" });`);
    mkdirSync(join(R, "srv/app"), { recursive: true });
    writeFileSync(join(R, "srv/app/config.conf"), "v1\n");
    const applied = await hostkit(["apply", "config.ts", "--root", R, "--confirm", "--track"], { cwd: dir });
    expect(applied.code).toBe(0);
    // The tree's /srv/app is swapped for a link to a directory with files of the same names.
    rmSync(join(R, "srv/app"), { recursive: true });
    writeFileSync(join(O, "new.conf"), "new\n"); // what the up run left, so the down plan is not stale
    writeFileSync(join(O, "config.conf"), "v2\n");
    symlinkSync(O, join(R, "srv/app"));
    const before = snapshot(O);
    const d = await hostkit(["down", "--last", "--root", R, "--out", "down.json", "config.ts"], { cwd: dir });
    expect(d.code).toBe(0);
    await refused(["apply", "--plan", "down.json", "--root", R, "--confirm"], dir, "/srv/app is a symbolic link");
    expect(snapshot(O)).toEqual(before);
  });
});

describe("--root itself", () => {
  test("a link to / is refused (it used to write to the live filesystem)", async () => {
    const { dir } = setup("slash", `  p.file("/hostkit-sec-should-not-exist.conf", { content: "x\\n" });`);
    symlinkSync("/", join(dir, "slash"));
    await refused(["apply", "config.ts", "--root", join(dir, "slash"), "--confirm"], dir, `refusing --root ${join(dir, "slash")} (it resolves to /)`);
    expect(existsSync("/hostkit-sec-should-not-exist.conf")).toBe(false);
  });

  test("the host lock is keyed by the canonical root: an apply through a linked --root meets the lock", async () => {
    const { dir, R } = setup("lock", `  p.file("/etc/locked.conf", { content: "x\\n" });`);
    symlinkSync(R, join(dir, "alias"));
    // An apply of the tree (by its real path) that is still running: this test process holds its lock.
    const lock = join(dir, ".tree.hostkit.lock");
    mkdirSync(lock);
    writeFileSync(join(lock, "holder"), `${JSON.stringify({ runId: "20260101-000000-sec-up", host: hostname(), pid: process.pid, startedAt: new Date().toISOString() })}\n`);
    await refused(["apply", "config.ts", "--root", join(dir, "alias"), "--confirm"], dir, "another apply holds the host lock: run 20260101-000000-sec-up");
    expect(existsSync(join(R, "etc/locked.conf"))).toBe(false);
    expect(existsSync(join(dir, ".alias.hostkit.lock"))).toBe(false);
  });
});

describe("runs and backups on the controller", () => {
  test("runs --prune deletes only the run's own backup directory, not what a record's `backups` names", async () => {
    const { dir, R } = setup("prune", `  p.file("/etc/app.conf", { content: "v2\\n" });`);
    writeFileSync(join(R, "etc/app.conf"), "v1\n");
    const roots = ["--runs-root", join(dir, "runs"), "--backups-root", join(dir, "backups")];
    expect((await hostkit(["apply", "config.ts", "--root", R, "--confirm", "--track", ...roots], { cwd: dir })).code).toBe(0);
    const [id] = readdirSync(join(dir, "runs"));
    const own = join(dir, "backups", id!);
    expect(existsSync(own)).toBe(true);
    const victim = join(dir, "victim", id!); // even named after the run
    mkdirSync(victim, { recursive: true });
    writeFileSync(join(victim, "precious"), "keep\n");
    const recPath = join(dir, "runs", id!, "run.json");
    writeFileSync(recPath, JSON.stringify({ ...JSON.parse(readFileSync(recPath, "utf8")), backups: victim }));
    const pruned = await hostkit(["runs", "--prune", "--keep", "0", "--runs-root", join(dir, "runs"), "--backups-root", join(dir, "backups")], { cwd: dir });
    expect(pruned.stdout).toContain(`Removed 1 run(s): ${id}`);
    expect(readFileSync(join(victim, "precious"), "utf8")).toBe("keep\n");
    expect(existsSync(own)).toBe(false);
  });

  test("a link pre-created at a predictable backup directory is never used: the run takes a free id; the link's target is not chmodded", async () => {
    const { dir, R } = setup("bklink", `  p.file("/etc/app.conf", { content: "v2\\n" });`);
    writeFileSync(join(R, "etc/app.conf"), "v1\n");
    const victim = join(dir, "victim");
    mkdirSync(victim, { mode: 0o755 });
    chmodSync(victim, 0o755);
    // Run ids are <UTC time>-<project>-up: links for the next minute cover the one this apply takes.
    mkdirSync(join(dir, "backups"));
    const p = (n: number) => String(n).padStart(2, "0");
    for (let s = 0; s < 60; s++) {
      const t = new Date(Date.now() + s * 1000);
      const id = `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}-${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}-sec-up`;
      symlinkSync(victim, join(dir, "backups", id));
    }
    const r = await hostkit(["apply", "config.ts", "--root", R, "--confirm", "--track", "--runs-root", join(dir, "runs"), "--backups-root", join(dir, "backups")], { cwd: dir });
    // Run ids skip any whose backup directory is taken (runs roots may share a backups root), so the
    // run goes on with `<id>-2`, a real directory of its own; the links are left alone.
    expect(r.code).toBe(0);
    expect(statSync(victim).mode & 0o777).toBe(0o755);
    expect(readdirSync(victim)).toEqual([]);
    const run = readdirSync(join(dir, "runs"))[0]!;
    expect(run).toMatch(/-sec-up-\d+$/);
    expect(lstatSync(join(dir, "backups", run)).isDirectory()).toBe(true);
    expect(lstatSync(join(dir, "backups", run.replace(/-\d+$/, ""))).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(R, "etc/app.conf"), "utf8")).toBe("v2\n");
  });
});
