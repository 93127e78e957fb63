/**
 * `hostkit init` makes a folder of infra files type-check offline: tsc, with nothing installed
 * there, accepts a correct infra file and reports a wrong one.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostkit, REPO } from "../helpers/cli.ts";
import { tsc } from "../helpers/tsc.ts";

let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hostkit-init-"));
  cpSync(join(REPO, "examples/first-example.ts"), join(dir, "config.ts"));
  cpSync(join(REPO, "examples/project-conventions.ts"), join(dir, "conventions.ts"));
  cpSync(join(REPO, "examples/conventions"), join(dir, "conventions"), { recursive: true });
  const r = await hostkit(["init", join(dir, "config.ts")]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("writes tsconfig.json and .hostkit/types/hostkit.d.ts next to the infra file", () => {
  expect(existsSync(join(dir, ".hostkit/types/hostkit.d.ts"))).toBe(true);
  const tsconfig = JSON.parse(readFileSync(join(dir, "tsconfig.json"), "utf8"));
  expect(tsconfig.include).toContain(".hostkit/types/hostkit.d.ts");
  const types = readFileSync(join(dir, ".hostkit/types/hostkit.d.ts"), "utf8");
  expect(types).toContain('declare module "hostkit" {');
  expect(types).not.toMatch(/from "valibot"|import\("valibot"\)/);
  expect(types).toContain("@example"); // the editor shows the DSL's documentation
});

test("tsc accepts the examples (including a local conventions module) with nothing installed", async () => {
  expect(existsSync(join(dir, "node_modules"))).toBe(false);
  const r = await tsc(dir);
  expect(r.out).toBe("");
  expect(r.code).toBe(0);
}, 60_000);

test("tsc reports a wrong type, an unknown option and a misplaced declaration", async () => {
  const bad = `${dir}-bad`;
  cpSync(dir, bad, { recursive: true });
  const config = readFileSync(join(bad, "config.ts"), "utf8")
    .replace("restartSec: 10,", 'restartSec: "10",')
    .replace('s.storage("data", { mode: 0o755 })', 's.storage("data", { mode: 0o755, sizeGb: 10 })')
    .replace("p.prefixes(", 'p.daemon({ exec: ["/bin/true"] });\n  p.prefixes(');
  writeFileSync(join(bad, "config.ts"), config);
  const r = await tsc(bad);
  expect(r.code).not.toBe(0);
  expect(r.out).toMatch(/config\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
  expect(r.out).toMatch(/'sizeGb' does not exist in type 'StorageOptions'/);
  expect(r.out).toMatch(/Property 'daemon' does not exist on type 'ProjectScope'/);
  rmSync(bad, { recursive: true, force: true });
}, 60_000);

test("keeps an existing tsconfig.json unless --force", async () => {
  const other = mkdtempSync(join(tmpdir(), "hostkit-init-keep-"));
  try {
    writeFileSync(join(other, "tsconfig.json"), '{ "compilerOptions": { "strict": false } }\n');
    const kept = await hostkit(["init", other]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('add ".hostkit/types/hostkit.d.ts" to its "include", or run hostkit init --force');
    expect(readFileSync(join(other, "tsconfig.json"), "utf8")).toBe('{ "compilerOptions": { "strict": false } }\n');
    const forced = await hostkit(["init", "--force", other]);
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(join(other, "tsconfig.json"), "utf8")).include).toContain(".hostkit/types/hostkit.d.ts");
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
  // From source (not the compiled binary) init builds the editor types with tsc first: ~15 s each on this machine.
}, 240_000);

test("a folder that does not exist is a diagnostic", async () => {
  const r = await hostkit(["init", "/nonexistent/hostkit-init"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe("error: hostkit init: no such folder: /nonexistent/hostkit-init\n");
});
