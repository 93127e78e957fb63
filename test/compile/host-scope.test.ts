/**
 * `p.host(name, opts, (h) => …)`: declarations for one host. Their resources carry the host, are
 * planned only against it (left out, saying so, elsewhere), and the same path may be declared for
 * two hosts but not both project-wide and for a host.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/load.ts";
import { forTarget } from "../../src/plan/planner.ts";

const dir = mkdtempSync(join(tmpdir(), "hostkit-hostscope-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function infra(body: string): string {
  const file = join(dir, `h${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, `import { project } from "hostkit";\nexport default project("hs", (p) => {\n${body}\n});\n`);
  return file;
}

test("each host gets its own declarations and the project's", async () => {
  const p = await load(infra(`  p.directory("/srv/shared");
  p.host("a", { at: "127.0.0.1" }, (h) => { h.file("/etc/motd", { content: "a\\n" }); });
  p.host("b", { at: "127.0.0.2" }, (h) => { h.file("/etc/motd", { content: "b\\n" }); h.directory("/srv/b-only"); });`));
  expect(p.resources.map((r) => `${r.host ?? "*"} ${r.type}:${r.id}`)).toEqual(["* directory:/srv/shared", "a file:/etc/motd", "b file:/etc/motd", "b directory:/srv/b-only"]);
  const warnings: string[] = [];
  expect(forTarget(p.resources, { name: "b", transport: "ssh", host: "127.0.0.2" }, warnings).map((r) => `${r.type}:${r.id}:${(r as { content?: string }).content ?? ""}`)).toEqual(["directory:/srv/shared:", "file:/etc/motd:b\n", "directory:/srv/b-only:"]);
  expect(warnings).toEqual([]);
  expect(forTarget(p.resources, { name: "root", transport: "root", root: "/tmp/x" }, warnings).map((r) => r.id)).toEqual(["/srv/shared"]);
  expect(warnings).toEqual(["3 resource(s) declared for host a, b are not planned on root (plan with --host to include them)"]);
});

test("a path declared project-wide and for a host is declared twice; a misplaced declaration names the host scope", async () => {
  await expect(load(infra(`  p.file("/etc/motd", { content: "x\\n" });
  p.host("a", { at: "127.0.0.1" }, (h) => { h.file("/etc/motd", { content: "a\\n" }); });`))).rejects.toThrow(/file:\/etc\/motd: declared twice/);
  await expect(load(infra(`  p.host("a", { at: "127.0.0.1" }, (h) => { (h as any).service("x", () => {}); });`))).rejects.toThrow(/host "a" › service: "service" cannot be declared here/);
});
