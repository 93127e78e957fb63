/**
 * The runtime API is part of the "hostkit" package: `import { load, plan, apply, formatPlan } from
 * "hostkit"` works in programs. Infra files evaluated by the binary get the DSL only: evaluating a
 * declaration never touches a host, so nothing that plans or applies is in their "hostkit".
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("a program imports load/plan/apply/formatPlan from \"hostkit\" and converges an offline root", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hostkit-api-"));
  dirs.push(dir);
  // Inside the repository, "hostkit" is the package itself (package.json "exports").
  const program = join(REPO, `.api-test-${process.pid}.ts`);
  writeFileSync(
    program,
    `import { load, plan, apply, formatPlan, Target } from "hostkit";
const project = await load(${JSON.stringify(join(REPO, "examples/first-example.ts"))});
const target = Target.root(${JSON.stringify(join(dir, "root"))});
const first = await plan(project, { target });
const result = await apply(first, { target, confirm: true });
const again = await plan(project, { target });
console.log(JSON.stringify({ first: first.summary.create, status: "status" in result ? result.status : "dry", again: formatPlan(again).split("\\n").at(-1) }));
`,
  );
  try {
    const p = Bun.spawnSync([process.execPath, program], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    expect(JSON.parse(p.stdout.toString())).toEqual({ first: 4, status: "ok", again: "No changes. 4 resource(s) already match." });
  } finally {
    rmSync(program, { force: true });
  }
}, 60_000);

test("an infra file gets the DSL from \"hostkit\", and nothing that plans or applies", () => {
  const dir = mkdtempSync(join(tmpdir(), "hostkit-api-infra-"));
  dirs.push(dir);
  writeFileSync(
    join(dir, "config.ts"),
    `import * as hk from "hostkit";
for (const name of ["load", "plan", "apply", "down", "Target", "SSH"]) if (name in hk) throw new Error(\`runtime API \${name} served to an infra file\`);
if (typeof hk.project !== "function" || typeof hk.secretEnv !== "function") throw new Error("DSL missing");
export default hk.project("apiinfra", (p) => p.directory("/srv/apiinfra"));
`,
  );
  const p = Bun.spawnSync([process.execPath, join(REPO, "src/main.ts"), "dump", join(dir, "config.ts")], { stdout: "pipe", stderr: "pipe" });
  expect(p.stderr.toString()).toBe("");
  expect(p.stdout.toString()).toContain("directory:/srv/apiinfra");
});

test("apply({ dryRun }) returns the argv each change would run and changes nothing; a stale plan is refused (checked under the lock)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hostkit-api-dry-"));
  dirs.push(dir);
  const program = join(REPO, `.api-dry-${process.pid}.ts`);
  const root = join(dir, "root");
  writeFileSync(
    program,
    `import { load, plan, apply, Target } from "hostkit";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
const project = await load(${JSON.stringify(join(REPO, "examples/first-example.ts"))});
const target = Target.root(${JSON.stringify(root)});
const p = await plan(project, { target });
const dry = await apply(p, { target, dryRun: true });
const out: Record<string, unknown> = { dry: "dryRun" in dry, keys: "ops" in dry ? dry.ops.map((o) => o.key) : [], argv0: "ops" in dry ? dry.ops[0]?.ops[0]?.argv[0] : undefined, rootMade: existsSync(${JSON.stringify(root)}) };
// Someone changes the target after the plan was made: the apply is refused, nothing written.
mkdirSync(${JSON.stringify(join(root, "srv/toys/exograph"))}, { recursive: true });
try { await apply(p, { target, confirm: true }); out.stale = "applied"; } catch (e) { out.stale = (e as Error).message; }
out.fileMade = existsSync(${JSON.stringify(join(root, "etc/systemd/system/toys-exograph.service"))});
console.log(JSON.stringify(out));
`,
  );
  try {
    const p = Bun.spawnSync([process.execPath, program], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    const out = JSON.parse(p.stdout.toString());
    expect(out).toMatchObject({ dry: true, argv0: "sh", rootMade: false, fileMade: false });
    expect(out.keys).toContain("systemd_service:toys-exograph.service");
    expect(out.stale).toMatch(/^the plan is stale; changed since it was made: directory:\/srv\/toys\/exograph/);
  } finally {
    rmSync(program, { force: true });
  }
}, 60_000);
