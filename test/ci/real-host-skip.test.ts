/**
 * Under CI a real-host test that cannot run fails instead of skipping (test/helpers/real-host.ts), so
 * a green CI proves the real-host tests ran. Checked on a real integration test file, run by a child
 * `bun test` with the integration host switched off.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");
const FILE = "test/integration/saved-plan.test.ts";

function bunTest(env: Record<string, string | undefined>) {
  const base = { ...process.env };
  delete base.HOSTKIT_INTEGRATION_TOOL;
  delete base.CI;
  const r = Bun.spawnSync([process.execPath, "test", FILE], { cwd: REPO, env: { ...base, ...env } as Record<string, string>, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

test("CI=true without a test host: the file fails and names what could not run", () => {
  const r = bunTest({ CI: "true" });
  expect(r.code).not.toBe(0);
  expect(r.out).toContain(`${FILE}: a real-host test could not run under CI`);
  expect(r.out).toMatch(/CI=true, so this is a failure, not a skip: HOSTKIT_INTEGRATION_TOOL is not set/);
  expect(r.out).toMatch(/\b1 fail\b/);
}, 60_000);

test("without CI: the same file skips, prints why, and passes", () => {
  const r = bunTest({});
  expect(r.code).toBe(0);
  expect(r.out).toContain(`[skip] ${FILE}: HOSTKIT_INTEGRATION_TOOL is not set`);
  expect(r.out).toMatch(/\b0 fail\b/);
  expect(r.out).toMatch(/\b\d+ skip\b/);
}, 60_000);
