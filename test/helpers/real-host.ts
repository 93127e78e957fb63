/**
 * Real-host tests that cannot run: a printed skip on a developer's machine, a FAILURE under CI.
 *
 * CI (`CI=true`, see .ci/run) installs and starts everything these tests need (sshd, Incus, the test
 * containers, systemd-analyze); when one of them still cannot run, the run must not look green.
 * Usage, at a test file's top level:
 *
 *   describe.skipIf(cannotRun("test/integration/x.test.ts", ENABLED ? false : SKIP_REASON))("…", () => …)
 *
 * `why` is false (or empty) when the test can run. Otherwise this prints `[skip] FILE: WHY` and, under
 * CI, registers a failing test whose name says what could not run, so the summary names it.
 */
import { test } from "bun:test";

export const UNDER_CI = /^(1|true|yes)$/i.test(process.env.CI ?? "");

export function cannotRun(file: string, why: string | false | undefined | null): boolean {
  if (!why) return false;
  console.log(`[skip] ${file}: ${why}`);
  if (UNDER_CI) {
    test(`${file}: a real-host test could not run under CI`, () => {
      throw new Error(`CI=true, so this is a failure, not a skip: ${why}`);
    });
  }
  return true;
}
