/** Rollback on this machine (`--local`), confined to files in a temporary directory. */
import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, infra, ok, snapshot, tempDir } from "./helpers.ts";

afterAll(cleanup);

test("--local: apply v1, apply v2, down --last: files and env file back to v1 byte for byte, with modes", async () => {
  const dir = tempDir("local");
  const t = join(dir, "target");
  const body = (v: string, mode: string) => `export default project("localdemo", (p) => {
  p.runs({ root: "state/runs", backups: "state/backups" });
  p.directory("${t}", { mode: 0o755 });
  p.file("${t}/app.conf", { content: "version=${v}\\n", mode: ${mode} });
  p.envFile("${t}/app.env", { set: { V: "${v}" }, secret: { TOKEN: { env: "LOCAL_TOKEN" } } });
  ${v === "2" ? `p.file("${t}/new.txt", { content: "new\\n" });` : ""}
});`;
  const f1 = infra(dir, "v1.ts", body("1", "0o644"));
  const f2 = infra(dir, "v2.ts", body("2", "0o600"));
  await ok(["apply", f1, "--local", "--confirm", "--track"], { cwd: dir, env: { LOCAL_TOKEN: "tok-one" } });
  const v1 = snapshot(t);
  await ok(["apply", f2, "--local", "--confirm", "--track"], { cwd: dir, env: { LOCAL_TOKEN: "tok-two" } });
  expect(snapshot(t)).not.toEqual(v1);
  await ok(["down", "--last", "--local", "--out", "down.json", f2], { cwd: dir });
  await ok(["apply", "--plan", "down.json", "--local", "--confirm"], { cwd: dir, env: { LOCAL_TOKEN: "tok-three" } });
  expect(snapshot(t)).toEqual(v1);
  expect(readFileSync(join(t, "app.env"), "utf8")).toContain("TOKEN=tok-one");
  // The project's runs settings place records and payloads; the down plan names payloads by id
  // inside its run's own backup directory, never by a path.
  const refs = (JSON.parse(readFileSync(join(dir, "down.json"), "utf8")).changes as { after?: { content?: { $backup?: { run: string; id: string } } } }[]).flatMap((c) => c.after?.content?.$backup ?? []);
  expect(refs.length).toBe(2);
  for (const r of refs) expect(existsSync(join(dir, "state/backups", r.run, r.id))).toBe(true);
  expect(readFileSync(join(dir, "down.json"), "utf8")).not.toContain(join(dir, "state/backups"));
  const runs = await ok(["runs", f2, "--local"], { cwd: dir });
  expect(runs.stdout.trim().split("\n").length).toBe(3);
});
