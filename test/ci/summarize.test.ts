/**
 * .ci/summarize: the line CI reads after the tests, from the test log. A green run whose log has no
 * "N skip" line (bun leaves out zero counts) once ended .ci/run with exit 1 under `set -e -o pipefail`.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "hk-summarize-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function summarize(log: string): { code: number; out: string } {
  const file = join(dir, `log-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, log);
  const r = Bun.spawnSync(["bash", "-euo", "pipefail", ".ci/summarize", file], { cwd: join(import.meta.dir, "../..") });
  return { code: r.exitCode, out: r.stdout.toString() };
}

test("a green log without skip or fail lines: 0 counts, exit 0", () => {
  expect(summarize("(pass) a\n\n 1247 pass\n 0 fail\n 33118 expect() calls\nRan 1247 tests across 121 files. [431.99s]\n")).toEqual({ code: 0, out: "1247 passed, 0 failed, 0 skipped\n" });
  expect(summarize("(pass) a\n 12 pass\n")).toEqual({ code: 0, out: "12 passed, 0 failed, 0 skipped\n" });
});

test("failures, skips, and real-host tests that could not run are said", () => {
  const log = "(fail) x: a real-host test could not run under CI\n(fail) x: a real-host test could not run under CI\n 10 pass\n 2 skip\n 1 fail\n";
  expect(summarize(log)).toEqual({ code: 0, out: "could not run: (fail) x: a real-host test could not run under CI\n10 passed, 1 failed, 2 skipped\n" });
});
