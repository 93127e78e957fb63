/**
 * Rollback policies of a created directory, through the CLI on an offline root: "keep" keeps it;
 * "delete_if_created" removes it only while it is empty (what was put in it since stays, and the
 * down plan's step fails saying so); "delete" removes it with everything in it.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, hk, infra, ok, tempDir } from "./helpers.ts";

afterAll(cleanup);

async function upThenFill(policy: string) {
  const dir = tempDir(`pol-${policy}`);
  const root = join(dir, "root");
  infra(dir, "infra.ts", `export default project("pol", (p) => {
  p.runs({ root: "runs", backups: "backups" });
  p.directory("/srv/pol", { rollback: ${JSON.stringify(policy)} });
});`);
  await ok(["apply", "infra.ts", "--root", root, "--confirm", "--track"], { cwd: dir });
  // Data the service wrote after the apply.
  writeFileSync(join(root, "srv/pol/data.db"), "rows\n");
  const d = await hk(["down", "infra.ts", "--root", root, "--last", "--out", "down.json"], { cwd: dir });
  return { dir, root, d };
}

test('"keep": the down plan keeps it and says so', async () => {
  const { d, root } = await upThenFill("keep");
  expect(d.code).toBe(0);
  expect(d.stdout).toContain('kept by their rollback policy: directory:/srv/pol (rollback: "keep")');
  expect(existsSync(join(root, "srv/pol/data.db"))).toBe(true);
});

test('"delete_if_created": removed only while empty; with data in it the step fails and nothing is lost', async () => {
  const { d, dir, root } = await upThenFill("delete_if_created");
  expect(d.stdout).toContain('- directory:/srv/pol  created by the up plan (rollback: "delete_if_created": removed only if empty)');
  const a = await hk(["apply", "--plan", "down.json", "--root", root, "--confirm"], { cwd: dir });
  expect(a.code).toBe(1);
  expect(a.stderr).toMatch(/Directory not empty/);
  expect(existsSync(join(root, "srv/pol/data.db"))).toBe(true);
});

test('"delete": removed with its contents', async () => {
  const { d, dir, root } = await upThenFill("delete");
  expect(d.stdout).toContain('- directory:/srv/pol  created by the up plan (rollback: "delete": removed with its contents)');
  await ok(["apply", "--plan", "down.json", "--root", root, "--confirm"], { cwd: dir });
  expect(existsSync(join(root, "srv/pol"))).toBe(false);
});
