/** A saved plan applied after the target changed is refused, listing the drifted resources; nothing is applied. */
import { afterAll, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { hostkit, infraFile, readTree, removeTempDirs, tempDir } from "../plan/helpers.ts";

afterAll(removeTempDirs);

const dir = tempDir("hostkit-stale-");
const config = infraFile(
  dir,
  `export default project("stale", (p) => {
  p.directory("/srv/stale", { mode: 0o750 });
  p.file("/srv/stale/a.conf", { content: "a=2\\n" });
  p.file("/srv/stale/b.conf", { content: "b\\n" });
  p.file("/srv/stale/c.conf", { content: "c\\n" });
});`,
);

test("an unchanged target: the saved plan applies", async () => {
  const root = join(tempDir(), "root");
  const planFile = join(dir, "ok.json");
  expect((await hostkit(["plan", config, "--root", root, "--out", planFile])).code).toBe(0);
  // An unsigned saved plan does not choose its own offline root: the user names it.
  const r = await hostkit(["apply", "--plan", planFile, "--root", root, "--confirm"]);
  expect(r.code).toBe(0);
  expect(readFileSync(join(root, "srv/stale/c.conf"), "utf8")).toBe("c\n");
});

test("after hand changes: refused with exit 1, naming each drifted resource, and nothing applied", async () => {
  const root = join(tempDir(), "root");
  mkdirSync(join(root, "srv/stale"), { recursive: true });
  chmodSync(join(root, "srv/stale"), 0o755);
  writeFileSync(join(root, "srv/stale/a.conf"), "a=1\n");
  const planFile = join(dir, "stale.json");
  expect((await hostkit(["plan", config, "--root", root, "--out", planFile])).code).toBe(0);
  expect(JSON.parse(readFileSync(planFile, "utf8")).changes.map((c: { key: string }) => c.key)).toEqual(["directory:/srv/stale", "file:/srv/stale/a.conf", "file:/srv/stale/b.conf", "file:/srv/stale/c.conf"]);

  // The target moves on: a's content, the directory's mode, and b appears.
  writeFileSync(join(root, "srv/stale/a.conf"), "a=1 edited\n");
  chmodSync(join(root, "srv/stale"), 0o700);
  writeFileSync(join(root, "srv/stale/b.conf"), "someone else's b\n");
  const before = readTree(root);

  const r = await hostkit(["apply", "--plan", planFile, "--root", root, "--confirm"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`error: plan ${planFile}: is stale: 3 resource(s) changed on root since it was made:`);
  const listed = r.stderr.split("\n").filter((l) => /^\s+\w+:\//.test(l)).map((l) => l.trim());
  expect(listed).toEqual(["directory:/srv/stale", "file:/srv/stale/a.conf", "file:/srv/stale/b.conf"]);
  expect(r.stderr).toContain("hint: make a new plan");
  expect(readTree(root)).toEqual(before); // nothing applied, not even the undrifted c.conf
  expect(existsSync(join(root, "srv/stale/c.conf"))).toBe(false);
  expect(existsSync(join(root, "..", ".root.hostkit.lock"))).toBe(false);
});
