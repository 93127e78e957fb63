/**
 * A reload that fails leaves the service running its old configuration while the file on disk is the
 * new one. On the real host, through the compiled CLI: the failed reload fails the apply; the next
 * plan is NOT "No changes" but plans the reload again (saying why); once the reload can succeed, one
 * apply runs it and the plan after that has nothing to do.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { announceSkip, ENABLED, mustHost, onHost, removeTempDirs, SETUP_MS, tag, TEST_MS, type Host } from "./harness.ts";
import { session, unitState, type Session } from "./declarative.ts";

announceSkip("test/integration/pending-reload.test.ts");

const t = tag();

describe.skipIf(!ENABLED)("a failed reload is planned again until one succeeds", () => {
  let h: Host;
  let s: Session;
  const name = `hkpr${t}`;
  const unit = `${name}-web.service`;
  const conf = `/etc/${name}`;
  // The daemon's reload fails while this file exists (as a reload does when the new config is bad).
  const broken = `/run/${name}.reload-fails`;
  const infra = (v: string) => `  p.prefixes({ unit: "${name}-" });
  p.service("web", (s) => {
    s.file("${conf}/web.conf", { content: "v=${v}\\n", notify: "reload" });
    s.daemon({ exec: ["/bin/sleep", "1000"], execReload: ["/bin/sh", "-c", "test ! -e ${broken}"] });
  });`;

  beforeAll(async () => {
    h = await mustHost();
    s = session(h, name, "hk-preload-");
  }, SETUP_MS);

  afterAll(async () => {
    if (h) {
      await onHost(h, `systemctl disable --now ${unit} >/dev/null 2>&1; rm -f /etc/systemd/system/${unit}; systemctl daemon-reload; systemctl reset-failed ${unit} >/dev/null 2>&1
rm -rf ${conf} ${broken} /var/lib/hostkit/pending-reload/${unit} /var/lib/hostkit/state/${name}.json; exit 0`);
    }
    removeTempDirs();
  }, TEST_MS);

  test("fail, plan again (not 'No changes'), succeed, converge", async () => {
    s.infra(infra("1"));
    await s.cli("v1 apply", ["apply", "infra.ts", "--host", "it", "--confirm"]);
    expect((await unitState(h, unit)).active).toBe("active");

    // v2's file is written, its reload fails: the apply fails naming the step.
    await onHost(h, `touch ${broken}`);
    s.infra(infra("2"));
    const failed = await s.cli("v2 apply (reload fails)", ["apply", "infra.ts", "--host", "it", "--confirm"], { code: 1 });
    expect(failed.stderr).toContain(`failed: service_state:${unit}`);
    expect((await onHost(h, `cat ${conf}/web.conf`)).trim()).toBe("v=2");

    // The file matches now, but the reload never happened: the plan says so and exits 2.
    const again = await s.cli("plan after the failure", ["plan", "infra.ts", "--host", "it", "--detailed-exitcode"], { code: 2 });
    expect(again.stdout).toMatch(new RegExp(`run service_state:${unit.replaceAll(".", "\\.")}  reload again: its last reload failed \\(\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\), so it may still run its old configuration`));
    expect(again.stdout).not.toContain("No changes");

    // Still failing: still planned. Then the cause is fixed: one apply reloads, the next plan is clean.
    await s.cli("v2 apply (still fails)", ["apply", "infra.ts", "--host", "it", "--confirm"], { code: 1 });
    await onHost(h, `rm -f ${broken}`);
    const fixed = await s.cli("v2 apply (reload succeeds)", ["apply", "infra.ts", "--host", "it", "--confirm"]);
    expect(fixed.stdout).toContain(`run service_state:${unit}  reload again`);
    const clean = await s.cli("plan after the reload", ["plan", "infra.ts", "--host", "it", "--detailed-exitcode"]);
    expect(clean.stdout).toContain("No changes");
    expect(await onHost(h, `ls /var/lib/hostkit/pending-reload/ 2>/dev/null | grep -cx ${unit} || true`)).toBe("0\n");
  }, TEST_MS);
});
