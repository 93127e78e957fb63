/**
 * Dependencies through the CLI: a file whose parent directory and owner are declared later is
 * applied after them; `dependsOn` adds edges; a cycle, or an edge to nothing, is one load-time error.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { cleanup, hk, infra, ok, tempDir } from "../down/helpers.ts";

afterAll(cleanup);
const REPO = join(import.meta.dir, "../..");

test("examples/dependencies.ts: applied in dependency order, not declaration order", async () => {
  const dir = tempDir("deps");
  const r = await ok(["apply", join(REPO, "examples/dependencies.ts"), "--root", join(dir, "root"), "--confirm"], { cwd: dir });
  const order = r.stderr.split("\n").flatMap((l) => (/^✓ (\S+)/.exec(l)?.[1] ? [/^✓ (\S+)/.exec(l)![1]!] : []));
  const at = (k: string) => order.indexOf(k);
  // settings.toml is declared first; its owner, parent directory and dependsOn come before it.
  for (const before of ["account:deps-app", "directory:/srv/deps/app", "file:/etc/deps/release"]) expect(at(before)).toBeLessThan(at("file:/srv/deps/app/settings.toml"));
  expect(at("file:/srv/deps/app/settings.toml")).toBeLessThan(at("systemd_service:app.service"));
  expect(order.length).toBe(9);
});

test("a cycle is one error naming the resources; an edge to nothing names the missing key", async () => {
  const dir = tempDir("deps-bad");
  infra(dir, "cycle.ts", `export default project("cyc", (p) => {
  p.directory("/srv/a", { dependsOn: ["file:/srv/b.conf"] });
  p.file("/srv/b.conf", { content: "x\\n", dependsOn: ["directory:/srv/a"] });
});`);
  const c = await hk(["plan", "cycle.ts", "--root", join(dir, "root")], { cwd: dir });
  expect(c.code).toBe(1);
  expect(c.stderr).toBe("error: cycle.ts:3: directory:/srv/a: dependency cycle: directory:/srv/a → file:/srv/b.conf → directory:/srv/a\n  hint: each requires the next; declared at directory:/srv/a cycle.ts:3, file:/srv/b.conf cycle.ts:4\n");
  infra(dir, "missing.ts", `export default project("m", (p) => {
  p.directory("/srv/a", { dependsOn: ["file:/srv/nope.conf"] });
});`);
  const m = await hk(["dump", "missing.ts"], { cwd: dir });
  expect(m.code).toBe(1);
  expect(m.stderr).toStartWith("error: missing.ts:3: directory:/srv/a › requires: no resource file:/srv/nope.conf is declared\n");
});
