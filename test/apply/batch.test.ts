/**
 * Batched ops (Kind.opsBatch; WRITE_FILES / MAKE_DIRS programs) do exactly what running each change's
 * own ops does, for real, into offline roots:
 * - byte for byte the same tree (content, owner, group, mode) as the one-by-one apply, for many files
 *   in interleaved directories, with hostile and long (pax) names, binary and empty content, owners
 *   from the tree's passwd, env files, unit files, and a large `source:` streamed from disk;
 * - a failure in the middle of a batch applies exactly the changes before it in plan order (also in
 *   other directories), reports it in its own words, and leaves the rest pending;
 * - a large source that changed after the plan is refused while it streams: nothing written.
 * The batched path under kill -9 is test/apply/kill9.test.ts (its applies run batched).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "../../src/load.ts";
import { planHost } from "../../src/plan/planner.ts";
import { applyPlan } from "../../src/apply/applier.ts";
import { localRunner } from "../../src/targets/local.ts";
import { infraFile, readTree, removeTempDirs, tempDir } from "../plan/helpers.ts";

afterAll(removeTempDirs);

const HOSTILE = [`it's "q".conf`, "$(touch MARK)", "new\nline", "-rf", "*", "==> f <==", "ünï ☃", " lead space", "L".repeat(180)];

function tree(root: string) {
  const accounts = { passwd: "root:x:0:0:root:/root:/bin/sh\napp:x:1234:1234::/srv:/bin/sh\n", group: "root:x:0:\napp:x:1234:\n" };
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc/passwd"), accounts.passwd);
  writeFileSync(join(root, "etc/group"), accounts.group);
}

async function planFor(config: string, root: string) {
  const project = await load(config);
  return planHost({ project: project.project, resources: project.resources, runner: localRunner(), ctx: { root }, target: { name: "root", transport: "root", root } });
}

async function applyTo(config: string, root: string, batch: boolean, afterPlan?: () => void) {
  const plan = await planFor(config, root);
  afterPlan?.();
  const ops: string[] = [];
  const result = await applyPlan(plan, { runner: localRunner(), ctx: { root }, batch, onEvent: (e) => e.type === "op" && ops.push(e.label) });
  return { plan, result, ops };
}

describe("batched apply", () => {
  test("writes exactly what one-by-one ops write: content, owner, group, mode", async () => {
    const dir = tempDir("hostkit-batch-");
    const big = join(dir, "big.bin");
    writeFileSync(big, Buffer.alloc(3 << 20, 7).map((_, i) => (i * 31) & 0xff));
    const files: string[] = [];
    for (let i = 0; i < 120; i++) {
      const d = `/srv/d${i % 7}${i % 3 === 0 ? " sp" : ""}`;
      const name = i < HOSTILE.length ? HOSTILE[i]! : `f${i}.conf`;
      const content = i % 5 === 0 ? `new Uint8Array([0, 255, 10, ${i % 256}, 0x80, 0xc3])` : i % 11 === 0 ? `""` : JSON.stringify(`file ${i}\n$(touch MARK)\n`.repeat(i % 9));
      files.push(`  p.file(${JSON.stringify(`${d}/${name}`)}, { content: ${content}, mode: 0o${["640", "600", "644", "755"][i % 4]}${i % 2 ? `, owner: "app"` : ""} });`);
    }
    const config = infraFile(
      dir,
      `export default project("batch", (p) => {
  for (let i = 0; i < 7; i++) p.directory(\`/srv/d\${i}\`, { mode: 0o750, owner: i % 2 ? "app" : "root" });
${files.join("\n")}
  p.file("/srv/big.bin", { source: ${JSON.stringify(big)}, mode: 0o644 });
  p.envFile("/srv/app.env", { set: { A: "1 $(x) 'y'", B: "two" }, mode: 0o600 });
  p.envFile("/srv/other.env", { set: { C: "3" }, mode: 0o640, owner: "app" });
  p.service("one", (s) => s.daemon({ exec: ["/bin/true"] }));
  p.service("two", (s) => s.daemon({ exec: ["/bin/true"] }));
});`,
    );
    const a = join(dir, "batched");
    const b = join(dir, "one-by-one");
    tree(a);
    tree(b);
    const batched = await applyTo(config, a, true);
    const single = await applyTo(config, b, false);
    expect(batched.result.status).toBe("ok");
    expect(single.result.status).toBe("ok");
    expect(batched.result.results.every((r) => r.status === "applied")).toBe(true);
    // It did batch: far fewer ops than changes (one by one: one op or more per change).
    expect(batched.ops.length).toBeLessThan(20);
    expect(single.ops.length).toBeGreaterThan(batched.plan.changes.length - 1);
    const ta = readTree(a);
    const tb = readTree(b);
    expect([...ta.keys()].sort()).toEqual([...tb.keys()].sort());
    for (const [path, e] of tb) expect({ path, ...ta.get(path) }).toEqual({ path, ...e });
    expect(ta.get("/srv/d6/f13.conf")).toMatchObject({ uid: 1234, gid: 1234, mode: 0o600 });
    expect(ta.get(`/srv/d0 sp/${HOSTILE[0]}`)).toBeDefined();
    expect(ta.get(`/srv/d1/${"L".repeat(180)}`)?.content?.toString()).toBe(`file 8\n$(touch MARK)\n`.repeat(8));
    expect(ta.get("/srv/big.bin")?.content?.length).toBe(3 << 20);
    // No staging directory survives, and nothing was evaluated by a shell.
    expect([...ta.keys()].filter((k) => k.includes(".hostkit-tmp") || k.includes("MARK") && !k.endsWith("$(touch MARK)"))).toEqual([]);
    // And the plan of the batched tree has nothing left to do.
    const again = await planFor(config, a);
    expect(again.changes.filter((c) => c.action !== "noop").map((c) => c.key)).toEqual([]);
  }, 120_000);

  test("a failure mid-batch: exactly the changes before it (in plan order, any directory) are applied", async () => {
    const dir = tempDir("hostkit-batch-fail-");
    const root = join(dir, "root");
    tree(root);
    // f5's path becomes a directory after the plan (a plan sees it and refuses): the write refuses it.
    // Files after it — in its directory and in others — stay pending.
    const names = Array.from({ length: 10 }, (_, i) => `/srv/${"abc"[i % 3]}/f${i}`);
    const config = infraFile(dir, `export default project("fail", (p) => {\n${names.map((n) => `  p.file(${JSON.stringify(n)}, { content: "x${n}\\n" });`).join("\n")}\n});`);
    const { result, ops } = await applyTo(config, root, true, () => mkdirSync(join(root, "srv/c/f5"), { recursive: true }));
    expect(ops.length).toBe(1);
    expect(result.status).toBe("failed");
    expect(result.results.map((r) => `${r.key} ${r.status}`)).toEqual(names.map((n, i) => `file:${n} ${i < 5 ? "applied" : i === 5 ? "failed" : "pending"}`));
    expect(result.results[5]!.error).toMatch(/^write file \/srv\/c\/f5: exit 4: refusing \/srv\/c\/f5: it is a directory/);
    for (const [i, n] of names.entries()) if (i !== 5) expect({ n, exists: existsSync(join(root, n)) }).toEqual({ n, exists: i < 5 });
    expect(statSync(join(root, names[5]!)).isDirectory()).toBe(true);
    for (const d of ["a", "b", "c"]) expect(readdirSync(join(root, "srv", d)).filter((x) => x.startsWith(".hostkit-tmp"))).toEqual([]);
  }, 60_000);

  test("a large source changed after the plan is refused while it streams; the target keeps its old content", async () => {
    const dir = tempDir("hostkit-batch-src-");
    const root = join(dir, "root");
    const src = join(dir, "data.bin");
    writeFileSync(src, Buffer.alloc(2 << 20, 1));
    const config = infraFile(dir, `export default project("src", (p) => { p.file("/srv/data.bin", { source: ${JSON.stringify(src)} }); p.file("/srv/small", { content: "s" }); });`);
    const plan = await planFor(config, root);
    expect(JSON.stringify(plan)).not.toContain("AQEBAQEB"); // the plan carries a reference, not the bytes
    writeFileSync(src, Buffer.alloc(2 << 20, 2)); // same size, other bytes
    const result = await applyPlan(plan, { runner: localRunner(), ctx: { root } });
    expect(result.status).toBe("failed");
    const failed = result.results.find((r) => r.status === "failed");
    expect(failed?.key).toBe("file:/srv/data.bin");
    expect(failed?.error).toContain("changed since the plan");
    expect(existsSync(join(root, "srv/data.bin"))).toBe(false);
    expect(existsSync(join(root, "srv/small"))).toBe(false);
  }, 60_000);
});
