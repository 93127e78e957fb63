/**
 * The runtime API is part of the "hostkit" module: `import { load, plan, apply, formatPlan } from
 * "hostkit"` works in infra files (served by the binary's plugin) and in programs (the package).
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

test("an infra file outside the repository gets the runtime API from \"hostkit\" too", () => {
  const dir = mkdtempSync(join(tmpdir(), "hostkit-api-infra-"));
  dirs.push(dir);
  writeFileSync(
    join(dir, "config.ts"),
    `import { project, formatPlan, load } from "hostkit";
if (typeof formatPlan !== "function" || typeof load !== "function") throw new Error("runtime API missing");
export default project("apiinfra", (p) => p.directory("/srv/apiinfra"));
`,
  );
  const p = Bun.spawnSync([process.execPath, join(REPO, "src/main.ts"), "dump", join(dir, "config.ts")], { stdout: "pipe", stderr: "pipe" });
  expect(p.stderr.toString()).toBe("");
  expect(p.stdout.toString()).toContain("directory:/srv/apiinfra");
});
