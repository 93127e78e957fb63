/** Plan/apply flags as a user meets them: --ignore, --detailed-exitcode, --dry-run, --confirm; and the runtime API. */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apply, formatPlan, load, plan, Target } from "../../src/api.ts";
import { hostkit, infraFile, readTree, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

const dir = tempDir("hostkit-cli-");
const config = infraFile(
  dir,
  `export default project("flags", (p) => {
  p.directory("/srv/flags", { mode: 0o750 });
  p.file("/srv/flags/a.conf", { content: "a\\n" });
  p.file("/srv/flags/b.conf", { content: "b\\n", mode: 0o600 });
});`,
);
const fresh = () => join(tempDir("hostkit-cli-root-"), "root");

describe("--ignore TYPE:ID", () => {
  test("drops that resource from plan and apply", async () => {
    const root = fresh();
    const planned = await hostkit(["plan", config, "--root", root, "--ignore", "file:/srv/flags/b.conf", "--json"]);
    expect(planned.code).toBe(0);
    expect(JSON.parse(planned.stdout).plans[0].changes.map((c: { key: string }) => c.key)).toEqual(["directory:/srv/flags", "file:/srv/flags/a.conf"]);
    const applied = await hostkit(["apply", config, "--root", root, "--confirm", "--ignore=file:/srv/flags/b.conf"]);
    expect(applied.code).toBe(0);
    expect(existsSync(join(root, "srv/flags/a.conf"))).toBe(true);
    expect(existsSync(join(root, "srv/flags/b.conf"))).toBe(false);
  });

  test("an unknown key is a clear error and nothing is planned or applied", async () => {
    const root = fresh();
    for (const verb of [["plan"], ["apply", "--confirm"]]) {
      const r = await hostkit([verb[0]!, config, "--root", root, "--ignore", "file:/srv/flags/nope.conf", ...verb.slice(1)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("error: --ignore file:/srv/flags/nope.conf: no resource matches\n");
      expect(r.stderr).toContain("hint:");
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
    expect(existsSync(root)).toBe(false);
  });
});

test("--detailed-exitcode: 2 with changes, 0 without, 1 on error", async () => {
  const root = fresh();
  expect((await hostkit(["plan", config, "--root", root, "--detailed-exitcode"])).code).toBe(2);
  expect((await hostkit(["plan", config, "--root", root])).code).toBe(0); // only with the flag
  expect((await hostkit(["apply", config, "--root", root, "--confirm"])).code).toBe(0);
  expect((await hostkit(["plan", config, "--root", root, "--detailed-exitcode"])).code).toBe(0);
  const bad = infraFile(dir, "export default project(\"Bad Name\", () => {});", "bad.ts");
  const err = await hostkit(["plan", bad, "--root", root, "--detailed-exitcode"]);
  expect(err.code).toBe(1);
  expect(err.stderr).toContain("error:");
});

test("--dry-run prints each command's argv and changes nothing", async () => {
  const root = fresh();
  const r = await hostkit(["apply", config, "--root", root, "--dry-run", "--confirm"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("Dry run: nothing applied. Commands that would run:");
  expect(r.stdout).toContain(`[hostkit-mkdir] /srv/flags 750 root root ${root} 0`);
  expect(r.stdout).toContain(`[hostkit-write] /srv/flags/b.conf 600 root root ${root} 0`);
  expect(existsSync(root)).toBe(false);
  expect(existsSync(`${join(root, "..")}/.root.hostkit.lock`)).toBe(false);
  const json = await hostkit(["apply", config, "--root", root, "--dry-run", "--json"]);
  const ops = JSON.parse(json.stdout.trim().split("\n").pop()!).ops as { key: string; ops: { argv: string[] }[] }[];
  expect(ops.map((o) => o.key)).toEqual(["directory:/srv/flags", "file:/srv/flags/a.conf", "file:/srv/flags/b.conf"]);
  expect(ops[1]!.ops[0]!.argv.slice(3)).toEqual(["hostkit-write", "/srv/flags/a.conf", "644", "root", "root", root, "0"]);
  expect(existsSync(root)).toBe(false);
});

test("without --confirm and no terminal: refused, nothing applied", async () => {
  const root = fresh();
  const r = await hostkit(["apply", config, "--root", root]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("error: refusing to apply without --confirm (no terminal to ask on)");
  expect(existsSync(root)).toBe(false);
});

test("runtime API: load → plan → formatPlan → apply with Target.root", async () => {
  const root = fresh();
  const project = await load(config);
  const target = Target.root(root);
  const p = await plan(project, { target });
  expect(p.summary).toEqual({ create: 3, update: 0, delete: 0, run: 0, noop: 0 });
  const text = formatPlan(p);
  expect(text).toContain("Plan for flags on root");
  expect(text).toContain("+ file:/srv/flags/b.conf  file does not exist  (0600)");
  expect(text).toContain("Plan: 3 to create, 0 to update, 0 to delete, 0 to run, 0 unchanged.");
  await expect(apply(p, { target })).rejects.toThrow(/confirm: true/);
  expect(existsSync(root)).toBe(false);
  const events: string[] = [];
  const result = await apply(p, { target, confirm: true, onEvent: (e) => events.push(e.type) });
  expect(result).toMatchObject({ status: "ok" });
  expect(events[0]).toBe("apply.start");
  expect(events.at(-1)).toBe("apply.done");
  expect(readTree(root).get("/srv/flags/b.conf")).toMatchObject({ type: "file", mode: 0o600, content: Buffer.from("b\n") });
  expect(formatPlan(await plan(project, { target }))).toContain("No changes. 3 resource(s) already match.");
  // The same plan applied again is stale now: the API refuses it too, naming what changed.
  writeFileSync(join(root, "srv/flags/a.conf"), "changed\n");
  await expect(apply(p, { target, confirm: true })).rejects.toThrow(/stale.*file:\/srv\/flags\/a\.conf/);
  expect(readFileSync(join(root, "srv/flags/a.conf"), "utf8")).toBe("changed\n");
});
