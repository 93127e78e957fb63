/** `hostkit schema plan` prints a JSON Schema that real saved plans validate against (and broken ones do not). */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hostkit, infraFile, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

type Schema = Record<string, unknown>;

/** A small JSON Schema (draft-07 subset) validator: every keyword the generated schema uses. */
function validate(schema: Schema, value: unknown, path = "$"): string[] {
  const errs: string[] = [];
  const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);
  const known = new Set(["$schema", "$id", "title", "description", "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const", "pattern", "anyOf", "oneOf", "allOf", "propertyNames"]);
  for (const k of Object.keys(schema)) if (!known.has(k)) errs.push(`${path}: validator does not know keyword ${k}`);
  if (schema.type !== undefined) {
    const types = ([] as string[]).concat(schema.type as string);
    const t = typeOf(value);
    if (!types.includes(t) && !(t === "integer" && types.includes("number"))) return [`${path}: ${t} is not ${types.join("|")}`];
  }
  if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) errs.push(`${path}: is not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(value))) errs.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if (typeof schema.pattern === "string" && typeof value === "string" && !new RegExp(schema.pattern).test(value)) errs.push(`${path}: does not match ${schema.pattern}`);
  if (schema.anyOf && !(schema.anyOf as Schema[]).some((s) => validate(s, value, path).length === 0)) errs.push(`${path}: matches none of anyOf`);
  if (schema.oneOf && (schema.oneOf as Schema[]).filter((s) => validate(s, value, path).length === 0).length !== 1) errs.push(`${path}: does not match exactly one of oneOf`);
  for (const s of (schema.allOf as Schema[] | undefined) ?? []) errs.push(...validate(s, value, path));
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const k of (schema.required as string[] | undefined) ?? []) if (!(k in obj)) errs.push(`${path}.${k}: required`);
    if (schema.propertyNames) for (const k of Object.keys(obj)) errs.push(...validate(schema.propertyNames as Schema, k, `${path}[key ${k}]`));
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errs.push(...validate(props[k]!, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}.${k}: not allowed`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === "object") errs.push(...validate(schema.additionalProperties as Schema, v, `${path}.${k}`));
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) errs.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) errs.push(`${path}: more than ${schema.maxItems} items`);
    if (Array.isArray(schema.items)) (schema.items as Schema[]).forEach((s, i) => errs.push(...validate(s, value[i], `${path}[${i}]`)));
    else if (schema.items) value.forEach((v, i) => errs.push(...validate(schema.items as Schema, v, `${path}[${i}]`)));
  }
  return errs;
}

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
