/**
 * Plan-time validation on a real host (issue 10, item 6), through the compiled binary over SSH: an owner
 * the host lacks, a supplementary group useradd would fail on, a regular file where a directory is
 * declared, a calendar spec the host's own systemd-analyze refuses, two daemons on one port — each one
 * error naming the resource, its file:line and the host; plan and apply both refuse; nothing is applied.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { announceSkip, ENABLED, hostkit, hostLine, mustHost, onHost, removeTempDirs, SETUP_MS, stackLines, tag, tempDir, TEST_MS, writeInfra, type Host } from "./harness.ts";

announceSkip("test/integration/validate-live.test.ts");

describe.skipIf(!ENABLED)("plan-time validation on a live host", () => {
  let h: Host;
  let dir: string;
  let file: string;
  const t = tag();
  const base = `/srv/hk-val-${t}`;
  const ghost = `hkghost${t}`.slice(0, 30);
  const acct = `hkacct${t}`.slice(0, 30);
  const group = `hkgrp${t}`.slice(0, 30);

  beforeAll(async () => {
    h = await mustHost();
    dir = tempDir("hk-val-");
    await onHost(h, `mkdir -p ${base} && echo keep > ${base}/data`);
    file = writeInfra(
      dir,
      "infra.ts",
      `import { project } from "hostkit";
export default project("val${t}", (p) => {
  ${hostLine("it", h, { knownHostsFile: join(dir, "known_hosts") })}
  p.directory("${base}/marker");
  p.file("${base}/app.conf", { content: "x\\n", owner: "${ghost}" });
  p.account("${acct}", { system: true, groups: ["${group}"] });
  p.directory("${base}/data");
  p.timer("val${t}-tick", { onCalendar: "Mon..Fri 25:00", exec: ["/bin/true"] });
  p.service("val${t}-a", (s) => { s.daemon({ exec: ["/bin/sleep", "60"], listen: { http: { port: 18181, on: "any" } } }); });
  p.service("val${t}-b", (s) => { s.daemon({ exec: ["/bin/sleep", "60"], listen: { http: { port: 18181 } } }); });
});
`,
    );
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await h.sh(`rm -rf ${base}; userdel ${acct} 2>/dev/null; true`);
    removeTempDirs();
  });

  test("plan and apply: one error per mistake, each naming the resource, file:line and host; nothing applied", async () => {
    for (const verb of [["plan"], ["apply", "--confirm"]]) {
      const r = await hostkit([...verb, file, "--host", "it"], { cwd: dir });
      expect(stackLines(r.stderr)).toEqual([]);
      expect({ verb: verb[0], code: r.code }).toEqual({ verb: verb[0], code: 1 });
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
      expect(errors).toEqual([
        `error: infra.ts:5: file:${base}/app.conf: user "${ghost}" exists neither on the target nor among the accounts declared for it (host it)`,
        `error: infra.ts:6: account:${acct}: group "${group}" exists neither on the target nor among the accounts declared for it (host it)`,
        `error: infra.ts:7: directory:${base}/data: a regular file exists at ${base}/data, where a directory is declared: HostKit does not replace it (host it)`,
        `error: infra.ts:8: systemd_timer:val${t}-tick.timer: OnCalendar=Mon..Fri 25:00: the target's systemd cannot parse it (systemd-analyze calendar: Invalid argument) (host it)`,
        `error: infra.ts:10: systemd_service:val${t}-b.service: listener "http" (loopback:18181) clashes with listener "http" (any:18181) of systemd_service:val${t}-a.service at infra.ts:9 (host it)`,
      ]);
    }
    // Nothing applied: no marker directory, no account, the regular file untouched.
    const state = await onHost(h, `test -e ${base}/marker && echo marker; getent passwd ${acct} >/dev/null && echo account; cat ${base}/data`);
    expect(state).toBe("keep\n");
  }, TEST_MS);
});
