/** `hostkit schema plan` prints a JSON Schema that real saved plans validate against (and broken ones do not). */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hostkit, infraFile, removeTempDirs, tempDir } from "./helpers.ts";
import { validate, type Schema } from "../helpers/json-schema.ts";

afterAll(removeTempDirs);

describe("hostkit schema plan", async () => {
  const out = await hostkit(["schema", "plan"]);
  const schema = JSON.parse(out.stdout) as Schema;

  test("prints a JSON Schema for the plan artifact", () => {
    expect(out.code).toBe(0);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.title).toMatch(/HostKit plan/);
    expect(schema.required).toEqual(expect.arrayContaining(["formatVersion", "kind", "direction", "project", "target", "createdAt", "basis", "changes", "summary", "warnings"]));
  });

  test("a real saved plan (every kind, a secret reference) validates; broken copies do not", async () => {
    const dir = tempDir("hostkit-schema-");
    const config = infraFile(
      dir,
      `export default project("schema", (p) => {
  p.roots({ config: "/etc/schema", data: "/srv/schema" });
  p.service("web", (s) => {
    s.account({ system: true, groups: ["adm"] });
    s.storage("data", { mode: 0o750 });
    s.env("runtime", { set: { PORT: 4000 }, secret: { TOKEN: secretEnv("SCHEMA_TOKEN") } });
    s.command("migrate", { exec: ["bin/migrate"], down: ["bin/rollback"] });
    s.daemon({ exec: ["/usr/bin/web"], env: ["runtime"] });
    s.timer("tick", { onCalendar: "hourly", exec: ["/usr/bin/tick"] });
  });
  p.file("/etc/schema/bin.dat", { content: new Uint8Array([0, 255, 1]) });
});`,
    );
    const planPath = join(dir, "plan.json");
    const made = await hostkit(["plan", config, "--root", join(dir, "root"), "--out", planPath]);
    expect(made.code).toBe(0);
    const plan = JSON.parse(readFileSync(planPath, "utf8"));
    expect(plan.changes.length).toBeGreaterThanOrEqual(6);
    expect(validate(schema, plan)).toEqual([]);
    // The schema is not vacuous: each of these breaks it.
    const broken = [
      { ...plan, formatVersion: 2 },
      { ...plan, changes: [{ ...plan.changes[0], action: "explode" }] },
      { ...plan, target: { ...plan.target, transport: "carrier-pigeon" } },
      { ...plan, summary: undefined },
      { ...plan, changes: [{ ...plan.changes.find((c: { type: string }) => c.type === "env_file"), resource: { ...plan.changes.find((c: { type: string }) => c.type === "env_file").resource, secret: { TOKEN: { $secret: { env: "not a name" } } } } }] },
    ];
    for (const b of broken) expect(validate(schema, JSON.parse(JSON.stringify(b))).length).toBeGreaterThan(0);
  });

  test("an unknown artifact is a clear error", async () => {
    const r = await hostkit(["schema", "runs-of-the-mill"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: schema "runs-of-the-mill": is not a JSON output HostKit knows');
  });
});
