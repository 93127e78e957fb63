/**
 * `hostkit backup`: the storage declared with `backup: true` leaves the target as one tar archive,
 * links stored as links (never followed out of the tree), 0600 in a 0700 directory; storage without
 * it is not copied.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, hk, infra, ok, tempDir } from "../down/helpers.ts";

afterAll(cleanup);

test("copies only backup storage, as one archive per target, private", async () => {
  const dir = tempDir("bk");
  const root = join(dir, "root");
  infra(dir, "infra.ts", `export default project("bk", (p) => {
  p.roots({ data: "/srv/bk", state: "/var/lib/bk" });
  p.service("app", (s) => {
    s.storage("data", { backup: true });
    s.storage("state", { backup: false });
  });
});`);
  await ok(["apply", "infra.ts", "--root", root, "--confirm"], { cwd: dir });
  writeFileSync(join(root, "srv/bk/app/orders.db"), "order 1\n");
  mkdirSync(join(root, "srv/bk/app/blobs"));
  writeFileSync(join(root, "srv/bk/app/blobs/a.bin"), new Uint8Array([0, 1, 2, 255]));
  symlinkSync("/etc/shadow", join(root, "srv/bk/app/evil"));
  writeFileSync(join(root, "var/lib/bk/app/cache"), "not backed up\n");
  const r = await ok(["backup", "infra.ts", "--root", root, "--out", "archives", "--json"], { cwd: dir });
  const doc = JSON.parse(r.stdout);
  expect(doc.kind).toBe("hostkit.backups");
  const [b] = doc.backups;
  expect(b.paths).toEqual(["/srv/bk/app"]);
  expect((statSync(join(dir, "archives")).mode & 0o777).toString(8)).toBe("700");
  expect((statSync(b.file).mode & 0o777).toString(8)).toBe("600");
  const list = Bun.spawnSync(["tar", "-tvf", b.file]).stdout.toString();
  expect(list).toContain("srv/bk/app/orders.db");
  expect(list).toContain("srv/bk/app/blobs/a.bin");
  expect(list).toMatch(/srv\/bk\/app\/evil -> \/etc\/shadow/); // the link itself, not what it points at
  expect(list).not.toContain("var/lib/bk");
});

test("a project without backup storage says so (exit 1); --out is required (usage, exit 2)", async () => {
  const dir = tempDir("bk-none");
  infra(dir, "infra.ts", `export default project("none", (p) => { p.directory("/srv/x"); });`);
  const none = await hk(["backup", "infra.ts", "--root", join(dir, "root"), "--out", "a"], { cwd: dir });
  expect(none.code).toBe(1);
  expect(none.stderr).toContain("declares no storage with backup: true for root");
  const usage = await hk(["backup", "infra.ts", "--root", join(dir, "root")], { cwd: dir });
  expect(usage.code).toBe(2);
});
