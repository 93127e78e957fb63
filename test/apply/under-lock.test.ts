/**
 * A saved plan is checked for staleness again while the host lock is held: a change that lands
 * between the first check and the lock is still caught, nothing is applied, and the lock is freed.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { load } from "../../src/load.ts";
import { planHost } from "../../src/plan/planner.ts";
import { applyPlan } from "../../src/apply/applier.ts";
import { findDrift } from "../../src/apply/stale.ts";
import { lockPath } from "../../src/apply/lock.ts";
import { localRunner } from "../../src/targets/local.ts";
import { infraFile, removeTempDirs, tempDir } from "../plan/helpers.ts";

afterAll(removeTempDirs);

test("drift that appears after the first check is refused under the lock; nothing applied, lock released", async () => {
  const dir = tempDir("hostkit-underlock-");
  const root = join(dir, "root");
  const config = infraFile(
    dir,
    `import { project } from "hostkit";
export default project("ul", (p) => {
  p.file("/etc/ul/a.conf", { content: "a\\n" });
  p.file("/etc/ul/b.conf", { content: "b\\n" });
});`,
  );
  const project = await load(config);
  const runner = localRunner();
  const ctx = { root };
  const plan = await planHost({ project: project.project, resources: project.resources, runner, ctx, target: { name: "root", transport: "root", root } });
  expect(await findDrift(plan, runner, ctx)).toEqual([]); // the early check passes…

  const underLock = async () => {
    // …then another writer creates a.conf before this apply holds the lock.
    Bun.spawnSync(["sh", "-c", 'mkdir -p "$1/etc/ul" && printf other > "$1/etc/ul/a.conf"', "sh", root]);
    const drift = await findDrift(plan, runner, ctx);
    if (drift.length) throw new Error(`stale: ${drift.map((d) => d.key).join(", ")}`);
  };
  await expect(applyPlan(plan, { runner, ctx, underLock })).rejects.toThrow("stale: file:/etc/ul/a.conf");
  expect(existsSync(join(root, "etc/ul/b.conf"))).toBe(false);
  expect(await Bun.file(join(root, "etc/ul/a.conf")).text()).toBe("other");
  expect(existsSync(lockPath(ctx))).toBe(false);

  // The lock really is free: a fresh plan applies.
  const again = await planHost({ project: project.project, resources: project.resources, runner, ctx, target: { name: "root", transport: "root", root } });
  expect((await applyPlan(again, { runner, ctx })).status).toBe("ok");
  expect(await Bun.file(join(root, "etc/ul/a.conf")).text()).toBe("a\n");
});
