/**
 * The compiled binary (build/compile.ts) on its own: version + commit, repeated starts, and infra
 * files in a folder outside the repository, where "hostkit" can only come from the embedded DSL.
 * Start-up time is a figure, printed here and by `bun run bench` ("binary start"), never asserted:
 * on a loaded machine any bound would fail for reasons that are not HostKit's.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { buildCommit, compileBinary } from "../../build/compile.ts";
import { hostkit, REPO, stackLines } from "../helpers/cli.ts";
import { tsc } from "../helpers/tsc.ts";

let work = "";
let binary = "";

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "hostkit-binary-")); // outside the repository: no node_modules, no tsconfig paths
  binary = join(work, "bin", "hostkit");
  await compileBinary({ outfile: binary });
  cpSync(join(REPO, "examples/first-example.ts"), join(work, "infra", "config.ts"));
  cpSync(join(REPO, "examples/project-conventions.ts"), join(work, "infra", "conventions.ts"));
  cpSync(join(REPO, "examples/conventions"), join(work, "infra", "conventions"), { recursive: true });
  cpSync(join(REPO, "test/fixtures/bad/wrong-type.ts"), join(work, "infra", "bad.ts"));
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (args: string[]) => hostkit(args, { binary, cwd: join(work, "infra") });

test("--version prints the version and the commit it was built from", async () => {
  const r = await run(["--version"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`hostkit ${pkg.version} (${buildCommit()})\n`);
  expect(buildCommit()).toMatch(/^[0-9a-f]{12}(-dirty)?$|^unknown$/); // "unknown" outside a git checkout
  expect(r.stdout).not.toContain("(source)"); // the commit was injected at build time
});

test("--version answers the same on 20 starts in a row (the median start time is printed)", () => {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const r = Bun.spawnSync([binary, "--version"], { stdout: "pipe", stderr: "pipe" });
    times.push(performance.now() - t);
    expect({ code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() }).toEqual({ code: 0, stdout: `hostkit ${pkg.version} (${buildCommit()})\n`, stderr: "" });
  }
  times.sort((a, b) => a - b);
  console.log(`compiled hostkit --version: median ${times[10]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[19]!.toFixed(1)} ms`);
});

test("dumps and renders an infra file outside the repository, like the source does", async () => {
  const fromBinary = await run(["dump", "config.ts", "--json"]);
  expect(fromBinary.stderr).toBe("");
  expect(fromBinary.code).toBe(0);
  const fromSource = await hostkit(["dump", "examples/first-example.ts", "--json"]);
  const strip = (json: string) => JSON.stringify(JSON.parse(json), (k, v) => (k === "file" ? undefined : v));
  expect(strip(fromBinary.stdout)).toBe(strip(fromSource.stdout));
  expect(JSON.parse(fromBinary.stdout).resources[0].source).toEqual({ file: "config.ts", line: 11 });

  const unit = await run(["render", "config.ts", "systemd_service", "toys-exograph.service"]);
  expect(unit.code).toBe(0);
  expect(unit.stdout).toBe((await hostkit(["render", "examples/first-example.ts", "systemd_service", "toys-exograph.service"])).stdout);
}, 30_000);

test("an infra file importing a local conventions module works too", async () => {
  const r = await run(["dump", "conventions.ts"]);
  expect(r.stderr).toBe("");
  expect(r.stdout).toContain("systemd_service:toys-exograph.service");
});

test("a bad declaration is one diagnostic with file:line, exit 1, no stack trace", async () => {
  const r = await run(["dump", "bad.ts"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('error: bad.ts:7: service "web" › daemon › restartSec: expected number, got "10"\n');
  expect(stackLines(r.stderr)).toEqual([]);
});

test("init writes the embedded type declarations; tsc accepts the infra files with them", async () => {
  const r = await run(["init"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^wrote \.hostkit\/types\/hostkit\.d\.ts\nwrote \.hostkit\/types\/node\/ \(Node's types, @types\/node [\d.]+\)\nwrote \.gitignore \(\.hostkit\/\)\nwrote tsconfig\.json\n$/);
  expect(readFileSync(join(work, "infra/.hostkit/types/hostkit.d.ts"), "utf8")).toContain('declare module "hostkit" {');
  // bad.ts carries @ts-expect-error: tsc passing also proves the wrong type is caught.
  const checked = await tsc(join(work, "infra"));
  expect(checked.out).toBe("");
  expect(checked.code).toBe(0);
}, 60_000);
