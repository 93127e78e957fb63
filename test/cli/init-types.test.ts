/**
 * Issue 11, point 2, through the compiled binary: after `hostkit init`, tsc (from devDependencies;
 * nothing installed in the folder) accepts ordinary infra code (process.env, node:fs, node:path,
 * URL, console, import.meta.dir) and a program using the runtime API, and still rejects wrong code.
 * init also adds `.hostkit/` to .gitignore, once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binary, hk } from "../helpers/binary.ts";
import { tsc } from "../helpers/tsc.ts";

let dir = "";

const INFRA = `import { readFileSync } from "node:fs";
import { join } from "node:path";
import { project, secretEnv } from "hostkit";

const port = Number(process.env.WEB_PORT ?? "4000");
const template = readFileSync(join(import.meta.dir, "web.conf.tmpl"), "utf8");
const site = new URL(process.env.SITE_URL ?? "https://toys.example");
console.log(\`configuring \${site.host}\`);

export default project("toys", (p) => {
  p.roots({ config: "/etc/toys" });
  p.file("/etc/toys/web.conf", { content: template.replace("{{PORT}}", String(port)), mode: 0o644 });
  p.envFile("/etc/toys/web.env", { set: { PORT: port }, secret: { TOKEN: secretEnv("WEB_TOKEN") } });
});
`;

const PROGRAM = `import { load, plan, apply, formatPlan, Target, type Plan } from "hostkit";

const project = await load(process.argv[2] ?? "config.ts");
const target = Target.root(process.env.IMAGE_ROOT ?? "/tmp/image");
const p: Plan = await plan(project, { target });
console.log(formatPlan(p), p.summary.create, p.changes.map((c) => c.key));
await apply(p, { target, confirm: true });
`;

beforeAll(async () => {
  await binary();
  dir = mkdtempSync(join(tmpdir(), "hostkit-init-types-")); // outside the repository: no node_modules above it
  writeFileSync(join(dir, "config.ts"), INFRA);
  writeFileSync(join(dir, "program.ts"), PROGRAM);
  writeFileSync(join(dir, "web.conf.tmpl"), "port={{PORT}}\n");
  writeFileSync(join(dir, ".gitignore"), "node_modules/");
  const r = await hk(["init", dir]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("tsc accepts an infra file reading an env var and a template file, and a runtime API program", async () => {
  expect(existsSync(join(dir, "node_modules"))).toBe(false);
  expect(existsSync(join(dir, ".hostkit/types/node/index.d.ts"))).toBe(true);
  const r = await tsc(dir);
  expect(r.out).toBe("");
  expect(r.code).toBe(0);
}, 60_000);

test("the types are real: wrong uses of process.env, node:fs and the runtime API are errors", async () => {
  writeFileSync(
    join(dir, "wrong.ts"),
    `import { readFileSync } from "node:fs";
import { plan, Target } from "hostkit";
export const a: number = process.env.WEB_PORT;
export const b = readFileSync(42, "utf8", "extra");
export const c = await plan("config.ts", { target: Target.root("/tmp/x") });
`,
  );
  try {
    const r = await tsc(dir);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/wrong\.ts\(3,\d+\): error TS2322: Type 'string \| undefined' is not assignable to type 'number'/);
    expect(r.out).toMatch(/wrong\.ts\(4,\d+\): error TS2554: Expected 1-2 arguments, but got 3/);
    expect(r.out).toMatch(/wrong\.ts\(5,\d+\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'CompiledProject'/);
  } finally {
    rmSync(join(dir, "wrong.ts"));
  }
}, 60_000);

test("the infra file also runs as written (the binary serves the same API)", async () => {
  const r = await hk(["dump", "config.ts"], { cwd: dir, env: { WEB_PORT: "4100" } });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("file:/etc/toys/web.conf");
});

test(".gitignore gets .hostkit/ once, after what it had", async () => {
  expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("node_modules/\n.hostkit/\n");
  expect((await hk(["init", dir])).code).toBe(0);
  expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("node_modules/\n.hostkit/\n");
});
