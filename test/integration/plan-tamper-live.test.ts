/**
 * Saved-plan integrity on a real SSH host with systemd: an up plan with a declared command and a
 * service start applies through `apply --plan` alone (rebuilt from the declarations), while the same
 * plan with the command's argv edited, or its host address edited, is refused naming the change, and
 * the command never runs on the host.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { announceSkip, ENABLED, hostkit, hostLine, mustHost, onHost, removeTempDirs, SETUP_MS, stackLines, tag, tempDir, TEST_MS, writeInfra, type Host } from "./harness.ts";

announceSkip("test/integration/plan-tamper-live.test.ts");

describe.skipIf(!ENABLED)("apply --plan on a live host: declared commands only", () => {
  let h: Host;
  let dir: string;
  const t = tag();
  const unit = `hk-tamper-${t}.service`;
  const log = `/tmp/hk-tamper-${t}.log`;
  const pwn = `/tmp/hk-tamper-${t}.pwned`;

  beforeAll(async () => {
    h = await mustHost();
    dir = tempDir("hk-tamper-live-");
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await onHost(h, `systemctl disable --now ${unit} 2>/dev/null; rm -f /etc/systemd/system/${unit} ${log} ${pwn}; systemctl daemon-reload`);
    removeTempDirs();
  }, TEST_MS);

  test("an edited command or host address is refused and nothing runs; the saved plan applies", async () => {
    writeInfra(
      dir,
      "config.ts",
      `import { project } from "hostkit";
export default project("hktamper", (p) => {
  ${hostLine("it", h, { knownHostsFile: join(dir, "known_hosts") })}
  p.service("hk-tamper-${t}", (s) => {
    s.daemon({ exec: ["/bin/sleep", "1001"] });
    s.command("mark", { exec: ["sh", "-c", "echo ran >> ${log}"] });
  });
});
`,
    );
    const planned = await hostkit(["plan", "config.ts", "--host", "it", "--out", "up.json"], { cwd: dir });
    expect({ code: planned.code, stderr: planned.code ? planned.stderr : "" }).toEqual({ code: 0, stderr: "" });
    const plan = JSON.parse(readFileSync(join(dir, "up.json"), "utf8"));
    expect(plan.changes.map((c: { key: string }) => c.key)).toEqual([`systemd_service:${unit}`, "systemd:daemon-reload", "command:mark", `service_state:${unit}`]);

    const cmd = plan.changes.find((c: { key: string }) => c.key === "command:mark");
    const exec = ["sh", "-c", `id > ${pwn}`];
    writeFileSync(join(dir, "t-cmd.json"), JSON.stringify({ ...plan, changes: plan.changes.map((c: { key: string }) => (c === cmd ? { ...cmd, after: { ...cmd.after, exec }, resource: { ...cmd.resource, exec } } : c)) }));
    const r1 = await hostkit(["apply", "--plan", "t-cmd.json", "--confirm"], { cwd: dir, waitForLock: true });
    expect(stackLines(r1.stderr)).toEqual([]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain("command:mark: differs from the declaration in: exec");

    writeFileSync(join(dir, "t-host.json"), JSON.stringify({ ...plan, target: { ...plan.target, host: "203.0.113.9" } }));
    const r2 = await hostkit(["apply", "--plan", "t-host.json", "--confirm"], { cwd: dir, waitForLock: true });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("target: the plan was made for SSH host it (203.0.113.9:");

    expect((await onHost(h, `test -e ${pwn} && echo yes || echo no; test -e ${log} && echo yes || echo no; test -e /etc/systemd/system/${unit} && echo yes || echo no`)).trim().split("\n")).toEqual(["no", "no", "no"]);

    const applied = await hostkit(["apply", "--plan", "up.json", "--confirm"], { cwd: dir, waitForLock: true });
    expect({ code: applied.code, stderr: applied.code ? applied.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect((await onHost(h, `cat ${log}; systemctl is-active ${unit}`)).trim().split("\n")).toEqual(["ran", "active"]);
  }, TEST_MS);
});
