/**
 * Paths are checked and normalised when the infra file loads, through the compiled binary: roots,
 * storage sub-paths and every declared path refuse '..', `/` itself and non-well-formed Unicode with
 * ONE diagnostic naming the declaration and its file:line; `//` and `/./` spell the same resource.
 * Fixtures: test/security/fixtures/*.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { hostkit, removeTempDirs, stackLines, tempDir, writeInfra } from "../integration/harness.ts";

afterAll(removeTempDirs);

const F = "test/security/fixtures";

/** [fixture, line, first diagnostic, how many the file has (every mistake is reported at once)]. */
const CASES: [string, number, string, number?][] = [
  ["root-dotdot.ts", 5, `project "toys" › roots › data: path "/srv/../../../../outside" must not contain '..'`],
  ["directory-root.ts", 5, `project "toys" › directory "/": path "/" is the root directory itself, which HostKit never manages`],
  ["lone-surrogate.ts", 5, `project "toys" › file "/etc/bad-\\ud800.conf": path "/etc/bad-\\ud800.conf" is not well-formed Unicode (a lone surrogate has no UTF-8 form on the host)`],
  ["three-spellings.ts", 6, `file:/etc/a.conf: declared twice (first at ${F}/three-spellings.ts:5)`, 2],
  ["prefix-dotdot.ts", 7, `service "web" › storage "data" › path: must be a relative path without '..'`],
];

describe.each(CASES)("%s", (fixture, line, message, count = 1) => {
  test("its diagnostics with file:line (no consequence of an earlier one), exit 1, no stack trace", async () => {
    const r = await hostkit(["dump", `${F}/${fixture}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")[0]).toBe(`error: ${F}/${fixture}:${line}: ${message}`);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(count);
    expect(stackLines(r.stderr)).toEqual([]);
  });
});

test("a root with '..' applies nothing, anywhere (it used to create <R>/../../outside/w, mode 0777)", async () => {
  const dir = tempDir("sec-load-");
  const root = join(dir, "a/b/tree");
  mkdirSync(root, { recursive: true });
  const r = await hostkit(["apply", `${process.cwd()}/${F}/root-dotdot.ts`, "--root", root, "--confirm"], { cwd: dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("must not contain '..'");
  expect(existsSync(join(dir, "outside"))).toBe(false);
  expect(existsSync("/outside")).toBe(false);
});

test("'//' and '/./' are normalised: roots, storage and paths come out in one spelling", async () => {
  const dir = tempDir("sec-norm-");
  const file = writeInfra(
    dir,
    "config.ts",
    `import { project } from "hostkit";
export default project("norm", (p) => {
  p.roots({ data: "//srv/./norm/" });
  p.directory("/srv//norm/./extra/");
  p.service("web", (s) => { s.storage("data", { path: "cache//x/." }); });
});
`,
  );
  const r = await hostkit(["dump", "--json", file]);
  expect(r.stderr).toBe("");
  const paths = (JSON.parse(r.stdout).resources as { type: string; path?: string }[]).filter((x) => x.type === "directory").map((x) => x.path);
  expect(paths.sort()).toEqual(["/srv/norm/extra", "/srv/norm/web/cache/x"]);
});
