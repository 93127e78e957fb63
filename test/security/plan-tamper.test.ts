/**
 * A saved plan cannot be turned into a weapon: every tamper from the security review (issue 8) is
 * refused by `apply --plan`, through the compiled binary, with a message naming the change, and
 * nothing runs: marker files are not created, the target tree is byte-for-byte unchanged. Legit
 * saved up and down plans (from a tracked run and from an up plan file) still apply. With
 * HOSTKIT_PLAN_KEY set, plans are signed and unsigned or badly signed ones are refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, change, cleanupDirs, hk, ok, readJson, sha, snapshot, tamper, tempDir, type Json } from "./plan-helpers.ts";

const INFRA = `import { project } from "hostkit";
export default project("demo", (p) => {
  p.directory("/srv/demo", { mode: 0o755 });
  p.file("/srv/demo/a.conf", { content: \`a=\${process.env.V ?? "1"}\\n\`, mode: 0o644 });
  p.service("web", (s) => {
    s.daemon({ exec: ["/bin/sleep", "1000"] });
    s.command("mig", { exec: ["/bin/true"] });
  });
});
`;

const A = "file:/srv/demo/a.conf";

beforeAll(buildBinary, 180_000);
afterAll(cleanupDirs);

/** A project dir with v1 applied (tracked) to root `r` and a saved v2 plan `up.json`. */
async function project(name: string) {
  const dir = tempDir(name);
  writeFileSync(join(dir, "infra.ts"), INFRA);
  const root = join(dir, "r");
  await ok(["apply", "infra.ts", "--root", root, "--confirm", "--track"], dir, { V: "1" });
  await ok(["plan", "infra.ts", "--root", root, "--out", "up.json"], dir, { V: "2" });
  return { dir, root, up: join(dir, "up.json"), marker: join(dir, "MARKER") };
}

/** Apply `plan` (with `args`) and expect a refusal naming every `names`; the tree, the marker and the run records are untouched. */
async function refused(p: Awaited<ReturnType<typeof project>>, plan: string, args: string[], names: string[], env: Record<string, string> = {}) {
  const before = snapshot(p.dir);
  const r = await hk(["apply", "--plan", plan, ...args, "--confirm"], p.dir, { V: "2", ...env });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`plan ${plan}: is refused:`);
  for (const n of names) expect(r.stderr).toContain(n);
  expect(r.stdout).not.toContain("applying");
  expect(existsSync(p.marker)).toBe(false);
  expect(snapshot(p.dir)).toEqual(before);
  return r;
}

describe("tampered saved up plans are refused before anything runs", () => {
  let p: Awaited<ReturnType<typeof project>>;
  let mig: Json;
  beforeAll(async () => {
    p = await project("up");
    const dump = JSON.parse((await ok(["dump", "infra.ts", "--json"], p.dir)).stdout);
    const { key: _k, ...r } = dump.resources.find((x: Json) => x.key === "command:mig");
    mig = r;
  }, 120_000);

  test("a command appended, with the target set to local: refused naming it; it never runs on the controller", async () => {
    const t = tamper(p.up, join(p.dir, "t-cmd.json"), (plan) => {
      plan.target = { name: "local", transport: "local", sudo: false };
      const exec = ["sh", "-c", `id > ${p.marker}`];
      plan.changes.push({ key: "command:pwn", type: "command", id: "pwn", action: "run", reason: "x", after: { exec, phase: "before_start" }, down: "irreversible", resource: { ...mig, id: "pwn", name: "pwn", exec } });
    });
    const r = await refused(p, t, [], ["command:pwn: is not declared in infra.ts", "target: an unsigned saved plan does not choose its own target: pass --local"]);
    expect(r.stderr).not.toContain("is stale");
    await refused(p, t, ["--local"], ["command:pwn: is not declared in infra.ts"]);
    await refused(p, t, ["--root", p.root], ["target: the plan was made for this machine (local), not offline root"]);
  });

  test("a declared command with another argv (or user) is refused naming it", async () => {
    const t = tamper(p.up, join(p.dir, "t-cmd2.json"), (plan) => {
      plan.target = { name: "local", transport: "local", sudo: false };
      const exec = ["sh", "-c", `touch ${p.marker}`];
      plan.changes.push({ key: "command:mig", type: "command", id: "mig", action: "run", reason: "x", after: { exec, phase: "before_start" }, down: "irreversible", resource: { ...mig, exec, user: "root" } });
    });
    await refused(p, t, ["--local"], ["command:mig: differs from the declaration in: exec, user"]);
  });

  test("resource.mode set to 04777 (the display's after still says 0644): refused naming the file", async () => {
    const t = tamper(p.up, join(p.dir, "t-mode.json"), (plan) => (change(plan, A).resource.mode = 0o4777));
    await refused(p, t, ["--root", p.root], [`${A}: differs from the declaration in: mode`]);
  });

  test("new content (resource and after both edited to agree): refused naming the file", async () => {
    const t = tamper(p.up, join(p.dir, "t-content.json"), (plan) => {
      const c = change(plan, A);
      c.resource.content = "pwned\n";
      c.after.sha256 = sha("pwned\n");
    });
    await refused(p, t, ["--root", p.root], [`${A}: differs from the declaration in: content`]);
  });

  test("only what the display shows edited (after.mode): the rebuild from the declaration refuses it", async () => {
    const t = tamper(p.up, join(p.dir, "t-after.json"), (plan) => (change(plan, A).after.mode = 0o4777));
    await refused(p, t, ["--root", p.root], [`${A}: its after is not what the declaration gives`]);
  });

  test("target.root changed: refused with --root naming the original, and without any target flag", async () => {
    const other = join(p.dir, "other");
    mkdirSync(other);
    const t = tamper(p.up, join(p.dir, "t-root.json"), (plan) => (plan.target.root = other));
    await refused(p, t, ["--root", p.root], [`target: the plan was made for offline root ${other}, not offline root ${p.root}`]);
    await refused(p, t, [], [`target: an unsigned saved plan does not choose its own target: pass --root ${other}`]);
  });

  test("a path /../../../outside/x with its basis removed: refused naming it; nothing outside the root", async () => {
    const evil = "/../../../../../../../outside-hk-tamper/x";
    const t = tamper(p.up, join(p.dir, "t-path.json"), (plan) => {
      const c = structuredClone(change(plan, A));
      Object.assign(c, { key: `file:${evil}`, id: evil });
      c.resource = { ...c.resource, id: evil, path: evil };
      delete c.basis;
      plan.changes.push(c);
    });
    await refused(p, t, ["--root", p.root], [`file:${evil}: is not declared in infra.ts`]);
    expect(existsSync("/outside-hk-tamper")).toBe(false);
  });

  test("a plan of another project, or applied with another project's file: refused", async () => {
    writeFileSync(join(p.dir, "other.ts"), INFRA.replace('project("demo"', 'project("other"'));
    await ok(["plan", "other.ts", "--root", p.root, "--out", "other.json"], p.dir, { V: "2" });
    await refused(p, join(p.dir, "other.json"), ["--root", p.root, "infra.ts"], ['project: the plan is for project "other", but infra.ts declares project "demo"']);
    await refused(p, p.up, ["--root", p.root, "other.ts"], ['project: the plan is for project "demo", but other.ts declares project "other"']);
  });

  test("the untouched plan still applies", async () => {
    await ok(["apply", "--plan", "up.json", "--root", p.root, "--confirm"], p.dir, { V: "2" });
    expect(readFileSync(join(p.root, "srv/demo/a.conf"), "utf8")).toBe("a=2\n");
  });
});

describe("down plans: only the one hostkit derived applies; $backup names its own run's payloads", () => {
  test("from a tracked run: an edited restore, or a $backup pointing at a controller file, is refused; the derived one applies", async () => {
    const p = await project("down");
    await ok(["apply", "--plan", "up.json", "--root", p.root, "--confirm", "--track"], p.dir, { V: "2" });
    await ok(["down", "--last", "--root", p.root, "--out", "d.json", "infra.ts"], p.dir, { V: "2" });
    const d = join(p.dir, "d.json");
    const ref = change(readJson(d), A).after.content.$backup;
    expect(Object.keys(ref).sort()).toEqual(["id", "run", "sha256"]);

    const host = readFileSync("/etc/hostname");
    const byPath = tamper(d, join(p.dir, "t-bpath.json"), (plan) => (change(plan, A).after.content = { $backup: { run: ref.run, path: "/etc/hostname", sha256: sha(host) } }));
    await refused(p, byPath, ["--root", p.root], [`${A}: $backup: must be {run, id, sha256}`]);
    const dotdot = tamper(d, join(p.dir, "t-bdots.json"), (plan) => (change(plan, A).after.content.$backup.id = "../../../../../../etc/hostname"));
    await refused(p, dotdot, ["--root", p.root], [`${A}: $backup: must be {run, id, sha256}`]);
    const mode = tamper(d, join(p.dir, "t-dmode.json"), (plan) => (change(plan, A).resource.mode = 0o4777));
    await refused(p, mode, ["--root", p.root], [`${A}: differs from the down plan hostkit derived (edited)`]);
    const added = tamper(d, join(p.dir, "t-dadd.json"), (plan) => plan.changes.push({ ...structuredClone(change(plan, A)), key: "file:/srv/demo/b.conf", id: "/srv/demo/b.conf" }));
    await refused(p, added, ["--root", p.root], ["file:/srv/demo/b.conf: is not in the down plan hostkit derived"]);
    expect(readFileSync(join(p.root, "srv/demo/a.conf"), "utf8")).toBe("a=2\n");

    await ok(["apply", "--plan", "d.json", "--root", p.root, "--confirm"], p.dir, { V: "2" });
    expect(readFileSync(join(p.root, "srv/demo/a.conf"), "utf8")).toBe("a=1\n");
  });

  test("from an up plan file: an edited restore is refused naming it; the derived one applies", async () => {
    const p = await project("down-file");
    await ok(["apply", "--plan", "up.json", "--root", p.root, "--confirm"], p.dir, { V: "2" });
    await ok(["down", "up.json", "--out", "d.json"], p.dir, { V: "2" });
    const t = tamper(join(p.dir, "d.json"), join(p.dir, "t-content.json"), (plan) => (change(plan, A).resource.content = "pwned\n"));
    await refused(p, t, ["--root", p.root], [`${A}: differs from the down plan hostkit derived (edited)`]);
    await ok(["apply", "--plan", "d.json", "--root", p.root, "--confirm"], p.dir, { V: "2" });
    expect(readFileSync(join(p.root, "srv/demo/a.conf"), "utf8")).toBe("a=1\n");
  });
});

describe("signed plans (HOSTKIT_PLAN_KEY)", () => {
  const KEY = "test-plan-key-0123456789abcdef";
  const keyed = { HOSTKIT_PLAN_KEY: KEY };

  test("plan --out signs; the signed plan applies (and may name its own target); the key appears nowhere", async () => {
    const p = await project("signed");
    const r1 = await ok(["plan", "infra.ts", "--root", p.root, "--out", "s.json"], p.dir, { V: "2", ...keyed });
    const plan = readJson(join(p.dir, "s.json"));
    expect(plan.signature.alg).toBe("hmac-sha256");
    expect(plan.signature.value).toMatch(/^[0-9a-f]{64}$/);
    const r2 = await ok(["apply", "--plan", "s.json", "--confirm"], p.dir, { V: "2", ...keyed });
    expect(readFileSync(join(p.root, "srv/demo/a.conf"), "utf8")).toBe("a=2\n");
    for (const text of [r1.stdout, r1.stderr, r2.stdout, r2.stderr, readFileSync(join(p.dir, "s.json"), "utf8")]) expect(text).not.toContain(KEY);
  });

  test("with a key configured: an unsigned plan, an edited signed plan, and a plan signed with another key are refused", async () => {
    const p = await project("signed-bad");
    const unsigned = await hk(["apply", "--plan", "up.json", "--root", p.root, "--confirm"], p.dir, { V: "2", ...keyed });
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain(`plan up.json: is not signed, and HOSTKIT_PLAN_KEY is set: refusing to apply an unsigned plan`);

    await ok(["plan", "infra.ts", "--root", p.root, "--out", "s.json"], p.dir, { V: "2", ...keyed });
    tamper(join(p.dir, "s.json"), join(p.dir, "s-edit.json"), (plan) => (plan.createdAt = "2020-01-01T00:00:00Z"));
    const edited = await hk(["apply", "--plan", "s-edit.json", "--root", p.root, "--confirm"], p.dir, { V: "2", ...keyed });
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain("plan s-edit.json: has a signature that does not verify with HOSTKIT_PLAN_KEY");

    const otherKey = await hk(["apply", "--plan", "s.json", "--root", p.root, "--confirm"], p.dir, { V: "2", HOSTKIT_PLAN_KEY: "another-key-0123456789abcdef" });
    expect(otherKey.code).toBe(1);
    expect(otherKey.stderr).toContain("has a signature that does not verify");

    const short = await hk(["apply", "--plan", "s.json", "--root", p.root, "--confirm"], p.dir, { V: "2", HOSTKIT_PLAN_KEY: "short" });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("HOSTKIT_PLAN_KEY: is set but shorter than 16 characters");
    expect(readFileSync(join(p.root, "srv/demo/a.conf"), "utf8")).toBe("a=1\n");
  });
});
