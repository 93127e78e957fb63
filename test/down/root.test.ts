/**
 * Rollback end to end with the real binary on offline trees (`--root`): apply v1, apply v2, derive
 * the down plan (from a saved plan or a tracked run), apply it, and compare the tree byte for byte,
 * with owners and modes, against what v1 left.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, filesUnder, hk, infra, ok, runIdOf, snapshot, tempDir, transcript } from "./helpers.ts";

afterAll(cleanup);

const V1 = `export default project("demo", (p) => {
  p.account("app", { system: true });
  p.directory("/srv/demo", { owner: "app", mode: 0o755 });
  p.file("/etc/demo/app.conf", { content: "version=1\\n", mode: 0o644 });
  p.file("/etc/demo/blob.bin", { content: new Uint8Array([0, 1, 2, 255]), mode: 0o600, owner: "app" });
  p.envFile("/etc/demo/app.env", { set: { MODE: "one" }, secret: { TOKEN: { env: "DEMO_TOKEN" } } });
  p.service("web", (s) => s.daemon({ exec: ["/bin/sleep", "1001"], env: ["/etc/demo/app.env"] }));
});`;

function v2(o: { dirRollback?: string; bad?: boolean } = {}): string {
  return V1.replace('"version=1\\n", mode: 0o644', '"version=2\\n", mode: 0o640, owner: "app"')
    .replace("[0, 1, 2, 255]", "[9, 9, 9]")
    .replace('{ MODE: "one" }', '{ MODE: "two", EXTRA: "1" }')
    .replace('"1001"', '"1002"')
    .replace(
      '  p.envFile(',
      `  p.directory("/srv/demo/new", { owner: "app"${o.dirRollback ? `, rollback: "${o.dirRollback}"` : ""} });
  p.file("/srv/demo/new/added.txt", { content: "added\\n" });
${o.bad ? '  p.file("/etc/demo/zz-bad.conf/x", { content: "x\\n" });\n' : ""}  p.envFile(`,
    );
}

const CANARY = { v1: "canary-v1-7f3a9c", v2: "canary-v2-1b8e44", v3: "canary-v3-d02c5e" };

/** A project dir with v1 applied (tracked) and v1's tree snapshot. */
async function setup(name: string, v2opts: Parameters<typeof v2>[0] = {}) {
  const dir = tempDir(name);
  const root = join(dir, "root");
  const f1 = infra(dir, "v1.ts", V1);
  const f2 = infra(dir, "v2.ts", v2(v2opts));
  const at = { cwd: dir, env: { DEMO_TOKEN: CANARY.v1 } };
  await ok(["apply", f1, "--root", root, "--confirm", "--track"], at);
  // A failure the plan cannot foresee: a regular file where v2's file wants a parent directory (the write fails there).
  if (v2opts.bad) writeFileSync(join(root, "etc/demo/zz-bad.conf"), "not a directory\n");
  return { dir, root, f1, f2, v1: snapshot(root), at };
}

const withoutNew = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).filter(([k]) => !k.startsWith("/srv/demo/new")));

describe("down --last on an offline root", () => {
  test("apply v1, apply v2, down --last: the tree is back to v1 byte for byte, with owners and modes; v2's directory is kept", async () => {
    const { dir, root, f1, f2, v1, at } = await setup("last");
    await ok(["apply", f2, "--root", root, "--confirm", "--track"], { cwd: dir, env: { DEMO_TOKEN: CANARY.v2 } });
    expect(snapshot(root)).not.toEqual(v1);
    const d = await ok(["down", "--last", "--root", root, "--out", "down.json", f2], at);
    expect(d.stdout).toContain("Down plan for demo on root");
    expect(d.stdout).toContain('kept by their rollback policy: directory:/srv/demo/new (rollback: "keep")');
    // Applied with yet another secret value: the previous value comes from the backup, not from here.
    await ok(["apply", "--plan", "down.json", "--root", root, "--confirm"], { cwd: dir, env: { DEMO_TOKEN: CANARY.v3 } });
    const after = snapshot(root);
    expect(withoutNew(after)).toEqual(v1);
    expect(after["/srv/demo/new"]).toMatch(/^dir 755 /);
    expect(readFileSync(join(root, "etc/demo/app.env"), "utf8")).toContain(`TOKEN=${CANARY.v1}`);
    expect((await hk(["plan", f1, "--root", root, "--detailed-exitcode"], at)).code).toBe(0);

    // No secret value in the down plan, the run records, the copied plans or anything printed.
    const texts = [readFileSync(join(dir, "down.json"), "utf8"), ...filesUnder(join(dir, ".hostkit/runs")).map((f) => readFileSync(f.path, "utf8")), ...transcript];
    for (const t of texts) for (const c of Object.values(CANARY)) expect(t).not.toContain(c);
    // The down plan restores from payloads instead of embedding previous content.
    const plan = JSON.parse(readFileSync(join(dir, "down.json"), "utf8"));
    expect(JSON.stringify(plan)).toContain('"$backup"');
    expect(JSON.stringify(plan)).not.toContain("version=1");
    // Backup payloads: 0600 files in 0700 directories; the env file's holds v1's secret.
    const backups = filesUnder(join(dir, ".hostkit/hostkit_backups"));
    expect(backups.length).toBeGreaterThan(0);
    for (const b of backups) expect(b.mode).toBe(0o600);
    expect(statSync(join(dir, ".hostkit/hostkit_backups")).mode & 0o777).toBe(0o700);
    for (const d2 of readdirSync(join(dir, ".hostkit/hostkit_backups"))) expect(statSync(join(dir, ".hostkit/hostkit_backups", d2)).mode & 0o777).toBe(0o700);
    const envBackup = backups.find((b) => b.path.includes("env_file"))!;
    expect(readFileSync(envBackup.path, "utf8")).toContain(`TOKEN=${CANARY.v1}`);
  });

  test("rollback: delete_if_created removes the directory v2 created", async () => {
    const { root, f2, v1, at } = await setup("dic", { dirRollback: "delete_if_created" });
    await ok(["apply", f2, "--root", root, "--confirm", "--track"], at);
    const d = await ok(["down", "--last", "--root", root, "--out", "down.json", f2], at);
    expect(d.stdout).toContain("- directory:/srv/demo/new");
    await ok(["apply", "--plan", "down.json", "--root", root, "--confirm"], at);
    expect(snapshot(root)).toEqual(v1);
  });

  test("partial rollback restores only what --only names", async () => {
    const { dir, root, f2, v1, at } = await setup("only");
    await ok(["apply", f2, "--root", root, "--confirm", "--track"], at);
    const v2tree = snapshot(root);
    await ok(["down", "--last", "--root", root, "--only", "file:/etc/demo/app.conf", "--only", "file:/etc/demo/blob.bin", "--out", "down.json", f2], at);
    const plan = JSON.parse(readFileSync(join(dir, "down.json"), "utf8"));
    expect(plan.changes.map((c: { key: string }) => c.key)).toEqual(["file:/etc/demo/blob.bin", "file:/etc/demo/app.conf"]);
    await ok(["apply", "--plan", "down.json", "--root", root, "--confirm"], at);
    const after = snapshot(root);
    for (const k of ["/etc/demo/app.conf", "/etc/demo/blob.bin"]) expect(after[k]).toBe(v1[k]!);
    for (const k of ["/etc/demo/app.env", "/etc/systemd/system/web.service", "/srv/demo/new/added.txt"]) expect(after[k]).toBe(v2tree[k]!);
    const bad = await hk(["down", "--last", "--root", root, "--only", "file:/etc/nope", f2], at);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--only file:/etc/nope: no change in the plan matches");
  });

  test("a failed apply followed by down --last reverts exactly what was applied", async () => {
    const { dir, root, f2, v1, at } = await setup("failed", { bad: true });
    const r = await ok(["apply", f2, "--root", root, "--confirm", "--track"], at, 1);
    expect(r.stderr).toContain("failed: file:/etc/demo/zz-bad.conf/x");
    const d = await ok(["down", "--last", "--root", root, "--out", "down.json", f2], at);
    const plan = JSON.parse(readFileSync(join(dir, "down.json"), "utf8"));
    expect(plan.changes.map((c: { action: string; key: string }) => `${c.action} ${c.key}`)).toEqual(["delete file:/srv/demo/new/added.txt", "update file:/etc/demo/blob.bin", "update file:/etc/demo/app.conf"]);
    expect(d.stdout).toContain("file:/etc/demo/zz-bad.conf/x failed during run");
    await ok(["apply", "--plan", "down.json", "--root", root, "--confirm"], at);
    expect(withoutNew(snapshot(root))).toEqual(v1);
  });

  test("--rollback-on-failure reverts what the run applied by itself and exits non-zero", async () => {
    const { root, f2, v1, at } = await setup("rof", { bad: true });
    const r = await hk(["apply", f2, "--root", root, "--confirm", "--rollback-on-failure"], at);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rolled back because file:/etc/demo/zz-bad.conf/x failed");
    expect(r.stderr).toMatch(/rollback run \S+-demo-down ok: reverted \(3\): file:\/srv\/demo\/new\/added.txt, file:\/etc\/demo\/blob.bin, file:\/etc\/demo\/app.conf/);
    expect(withoutNew(snapshot(root))).toEqual(v1);
    const list = await ok(["runs", f2, "--root", root], at);
    expect(list.stdout).toMatch(/-demo-up(-\d+)? +up +failed .* rolled back by \S+-demo-down \(ok\)/);
    expect(list.stdout).toMatch(/-demo-down(-\d+)? +down +ok .* reverses \S+-demo-up/);
  });
});

describe("saved plans", () => {
  test("plan --out, apply --plan, down PLAN --out, apply --plan down: back to v1; a hand edit makes the down plan stale", async () => {
    const { dir, root, f2, v1, at } = await setup("saved", { dirRollback: "delete_if_created" });
    await ok(["plan", f2, "--root", root, "--out", "up.json"], at);
    await ok(["apply", "--plan", "up.json", "--root", root, "--confirm"], at);
    const d = await ok(["down", "up.json", "--out", "down.json"], at);
    // Without a backup the previous secret value is unknown: the down plan says so.
    expect(d.stdout).toContain("warning: env_file:/etc/demo/app.env: previous values of TOKEN are not in plans");
    const plan = JSON.parse(readFileSync(join(dir, "down.json"), "utf8"));
    expect(plan.from.plan).toBe("up.json");
    writeFileSync(join(root, "etc/demo/app.conf"), "edited by hand\n");
    const stale = await hk(["apply", "--plan", "down.json", "--root", root, "--confirm"], at);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("is stale");
    expect(stale.stderr).toContain("file:/etc/demo/app.conf");
    writeFileSync(join(root, "etc/demo/app.conf"), "version=2\n");
    const v2 = snapshot(root);
    await ok(["apply", "--plan", "down.json", "--root", root, "--confirm"], at);
    // An untracked plan keeps no previous content that may be secret (issue 8): the 0600 file and the
    // env file's changed MODE are not restored, and the down plan said so. Everything else is v1.
    expect(d.stdout).toContain("warning: file:/etc/demo/blob.bin: its previous content was not kept in the plan (not readable by others (mode 0600): it may hold secrets) and no tracked run backed it up; not restored");
    expect(d.stdout).toContain("warning: env_file:/etc/demo/app.env: previous values of MODE were not kept in the plan");
    const after = snapshot(root);
    expect(after["/etc/demo/blob.bin"]).toBe(v2["/etc/demo/blob.bin"]!);
    expect(readFileSync(join(root, "etc/demo/app.env"), "utf8")).toBe(`# Managed by HostKit.\nMODE=two\nTOKEN=${CANARY.v1}\n`);
    const { "/etc/demo/blob.bin": _b, "/etc/demo/app.env": _e, ...rest } = after;
    const { "/etc/demo/blob.bin": _b1, "/etc/demo/app.env": _e1, ...restV1 } = v1;
    expect(rest).toEqual(restV1);
  });

  test("apply --track --plan without the infra file records the run next to the infra file the plan names", async () => {
    const { dir, root, f2, v1, at } = await setup("trackplan");
    await ok(["plan", f2, "--root", root, "--out", "up.json"], at);
    const r = await ok(["apply", "--track", "--plan", "up.json", "--root", root, "--confirm"], { ...at, env: { DEMO_TOKEN: CANARY.v2 } });
    const id = runIdOf(r);
    const rec = JSON.parse(readFileSync(join(dir, ".hostkit/runs", id, "run.json"), "utf8"));
    expect(rec).toMatchObject({ id, project: "demo", direction: "up", status: "ok", from: { plan: join(dir, "up.json") } });
    expect(rec.target).toMatchObject({ transport: "root", root });
    expect(existsSync(rec.plan)).toBe(true);
    await ok(["down", "--last", "--root", root, "--out", "down.json", f2], at);
    await ok(["apply", "--plan", "down.json", "--root", root, "--confirm"], at);
    expect(withoutNew(snapshot(root))).toEqual(v1);
  });
});

describe("hostkit runs", () => {
  test("lists runs; --verbose/--latest/--id show the copied plan and backups; --prune --keep 2 leaves the two newest with their plans and payloads", async () => {
    const { dir, root, f1, f2, at } = await setup("prune");
    const ids = [] as string[];
    for (const f of [f2, f1, f2]) ids.push(runIdOf(await ok(["apply", f, "--root", root, "--confirm", "--track"], at)));
    const runsRoot = join(dir, ".hostkit/runs");
    const all = readdirSync(runsRoot).sort();
    expect(all.length).toBe(4);
    const list = await ok(["runs", f1, "--root", root], at);
    for (const id of all) expect(list.stdout).toContain(id);
    const latest = await ok(["runs", f1, "--root", root, "--latest"], at);
    expect(latest.stdout).toContain(`plan: ${join(runsRoot, ids[2]!, "plan.json")}`);
    expect(latest.stdout).toContain(`backups: ${join(dir, ".hostkit/hostkit_backups", ids[2]!)}`);
    expect(latest.stdout).toMatch(/backup \S+\/01-file-etc_demo_app.conf \(sha256 [0-9a-f]{12}…, root:root 0640|backup \S+app.conf/);
    const one = await ok(["runs", f1, "--root", root, "--id", ids[0]!], at);
    expect(one.stdout).toContain(ids[0]!);
    expect(one.stdout).not.toContain(ids[1]!);
    const json = JSON.parse((await ok(["runs", f1, "--root", root, "--json"], at)).stdout);
    expect(json).toMatchObject({ kind: "hostkit.runs", formatVersion: 1 });
    expect(json.runs.map((r: { id: string }) => r.id)).toEqual(all);

    const pruned = await ok(["runs", f1, "--root", root, "--prune", "--keep", "2"], at);
    expect(pruned.stdout).toContain("Removed 2 run(s)");
    expect(readdirSync(runsRoot).sort()).toEqual(ids.slice(1));
    for (const id of ids.slice(1)) {
      expect(existsSync(join(runsRoot, id, "plan.json"))).toBe(true);
      expect(existsSync(join(dir, ".hostkit/hostkit_backups", id))).toBe(true);
    }
    expect(readdirSync(join(dir, ".hostkit/hostkit_backups")).sort()).toEqual(ids.slice(1));
  });
});
