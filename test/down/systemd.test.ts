/**
 * Rollback on a real systemd host (an Incus container reached over SSH; see test/hosts/testhost.ts):
 * the unit runs v1's configuration again after `down --last`, ecto-style commands are undone in
 * reverse order, and `--rollback-on-failure` reverts a run whose service does not stay up or whose
 * command fails. Skipped, with the reason printed, when no test host is configured.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cannotRun } from "../helpers/real-host.ts";
import { isSkip, ssh, testHost, type TestHost } from "../hosts/testhost.ts";
import { cleanup, hk, infra, ok, tempDir } from "./helpers.ts";

// The host is brought up before the tests are declared: a missing one is a printed skip (a failure
// under CI), never a test that returns early and counts as passed.
const got = process.env.HOSTKIT_INTEGRATION_TOOL ? await testHost({ name: "hostkit-it-down", port: 2232 }) : { skip: "HOSTKIT_INTEGRATION_TOOL is not set: rollback on a real systemd host skipped" };
const host: TestHost | undefined = isSkip(got) ? undefined : got;
const SKIP = cannotRun("test/down/systemd.test.ts", isSkip(got) ? got.skip : false);
const tag = `hkdown${Math.random().toString(36).slice(2, 8)}`;
const unit = `${tag}-web.service`;
const log = `/var/log/${tag}.log`;


afterAll(async () => {
  cleanup();
  if (!host) return;
  await ssh(host, `systemctl disable --now ${unit} 2>/dev/null; rm -rf /etc/systemd/system/${unit} /etc/${tag} /srv/${tag} ${log}; systemctl daemon-reload`);
});

function target(dir: string): string[] {
  const h = host!;
  return ["--remote", h.host, "--port", String(h.port), "--user", h.user, "--identity-file", h.identityFile, "--accept-hosts", "--known-hosts", join(dir, "known_hosts")];
}

/** v1 / v2 of a service: config file, env file, unit, and two migrations with downs. */
function project(o: { v: 1 | 2; exec?: string[]; failEvents?: boolean }): string {
  const logged = (what: string) => JSON.stringify(["/bin/sh", "-c", `echo ${what} >> ${log}`]);
  const v2 = o.v === 2;
  return `export default project("${tag}", (p) => {
  p.prefixes({ unit: "${tag}-" });
  p.service("web", (s) => {
    s.file("/etc/${tag}/app.conf", { content: "version=${o.v}\\n", mode: ${v2 ? "0o640" : "0o644"} });
    s.envFile("/etc/${tag}/app.env", { set: { MODE: "${v2 ? "two" : "one"}" }, secret: { TOKEN: { env: "TAG_TOKEN" } } });
    ${v2 ? `s.directory("/srv/${tag}/new", {}); s.file("/srv/${tag}/new/added.txt", { content: "added\\n" });` : ""}
    s.command("migrate_repo", { exec: ${logged(`migrate-repo-v${o.v}`)}, down: ${logged(`rollback-repo-v${o.v}`)} });
    s.command("migrate_events", { exec: ${o.failEvents ? JSON.stringify(["/bin/sh", "-c", "exit 3"]) : logged(`migrate-events-v${o.v}`)}, down: ${logged(`rollback-events-v${o.v}`)} });
    s.command("warm", { exec: ${logged("warm")}, phase: "after_start", down: "noop" });
    s.command("reindex", { exec: ${logged("reindex")}, phase: "after_start", down: "irreversible" });
    s.daemon({ exec: ${JSON.stringify(o.exec ?? ["/bin/sleep", `100${o.v}`])}, env: ["/etc/${tag}/app.env"] });
  });
});`;
}

/** Paths, types, modes, owners and hashes under the test's directories, plus the unit file. */
async function remoteState(): Promise<string> {
  const r = await ssh(host!, `find /etc/${tag} /srv/${tag} /etc/systemd/system/${unit} -printf '%p %y %m %u:%g\\n' 2>/dev/null | sort; find /etc/${tag} /srv/${tag} /etc/systemd/system/${unit} -type f -exec sha256sum {} + 2>/dev/null | sort`);
  return r.stdout;
}

async function mainCmdline(): Promise<string> {
  const r = await ssh(host!, `systemctl is-active ${unit}; systemctl show -p NeedDaemonReload --value ${unit}; tr '\\0' ' ' < /proc/$(systemctl show -p MainPID --value ${unit})/cmdline`);
  return r.stdout.trim();
}

describe("rollback on a real systemd host", () => {
  test.skipIf(SKIP)("apply v1, apply v2, down --last: files byte for byte, the unit runs v1's configuration, commands undone in reverse order", async () => {
    const dir = tempDir("sd");
    const f1 = infra(dir, "v1.ts", project({ v: 1 }));
    const f2 = infra(dir, "v2.ts", project({ v: 2 }));
    const at = { cwd: dir, env: { TAG_TOKEN: "secret-one" } };
    await ok(["apply", f1, ...target(dir), "--confirm", "--track"], at);
    const v1 = await remoteState();
    expect(await mainCmdline()).toBe("active\nno\n/bin/sleep 1001");
    await ssh(host!, `: > ${log}`);
    await ok(["apply", f2, ...target(dir), "--confirm", "--track"], { ...at, env: { TAG_TOKEN: "secret-two" } });
    expect(await mainCmdline()).toBe("active\nno\n/bin/sleep 1002");
    const d = await ok(["down", "--last", ...target(dir), "--out", "down.json", f2], at);
    expect(d.stdout).toContain(`warning: command:reindex is irreversible`);
    const plan = JSON.parse(readFileSync(join(dir, "down.json"), "utf8"));
    expect(plan.changes.map((c: { action: string; key: string }) => `${c.action} ${c.key}`)).toEqual([
      "run command:migrate_events",
      "run command:migrate_repo",
      // The reverse of the up plan's order (declaration order, dependencies first).
      `update systemd_service:${unit}`,
      `delete file:/srv/${tag}/new/added.txt`,
      `update env_file:/etc/${tag}/app.env`,
      `update file:/etc/${tag}/app.conf`,
      "run systemd:daemon-reload",
      `run service_state:${unit}`,
    ]);
    await ok(["apply", "--plan", "down.json", ...target(dir), "--confirm"], { ...at, env: { TAG_TOKEN: "secret-three" } });
    const after = await remoteState();
    expect(after.split("\n").filter((l) => !l.includes(`/srv/${tag}`)).join("\n")).toBe(v1.split("\n").filter((l) => !l.includes(`/srv/${tag}`)).join("\n"));
    expect(after).toContain(`/srv/${tag}/new d 755 root:root`);
    expect(await mainCmdline()).toBe("active\nno\n/bin/sleep 1001");
    expect((await ssh(host!, `cat /etc/${tag}/app.env`)).stdout).toContain("TOKEN=secret-one");
    expect((await ssh(host!, `cat ${log}`)).stdout.trim().split("\n")).toEqual(["migrate-repo-v2", "migrate-events-v2", "warm", "reindex", "rollback-events-v2", "rollback-repo-v2"]);
  }, 120_000);

  test.skipIf(SKIP)("--rollback-on-failure: a service that is not active after the run is rolled back; exit non-zero", async () => {
    const dir = tempDir("sdrof");
    const at = { cwd: dir, env: { TAG_TOKEN: "secret-one" } };
    await ok(["apply", infra(dir, "v1.ts", project({ v: 1 })), ...target(dir), "--confirm"], at);
    const v1 = await remoteState();
    const bad = infra(dir, "bad.ts", project({ v: 2, exec: ["/bin/sh", "-c", "sleep 0.2; exit 1"] }));
    const r = await hk(["apply", bad, ...target(dir), "--confirm", "--rollback-on-failure", "--rollback-wait", "2s"], at);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`rolled back because ${unit} is failed 2s after the run`);
    expect((await remoteState()).split("\n").filter((l) => !l.includes(`/srv/${tag}`))).toEqual(v1.split("\n").filter((l) => !l.includes(`/srv/${tag}`)));
    expect(await mainCmdline()).toBe("active\nno\n/bin/sleep 1001");
  }, 120_000);

  test.skipIf(SKIP)("a command failing midway: --rollback-on-failure undoes the commands that ran, and what was written", async () => {
    const dir = tempDir("sdcmd");
    const at = { cwd: dir, env: { TAG_TOKEN: "secret-one" } };
    await ok(["apply", infra(dir, "v1.ts", project({ v: 1 })), ...target(dir), "--confirm"], at);
    const v1 = await remoteState();
    await ssh(host!, `: > ${log}`);
    const r = await hk(["apply", infra(dir, "bad.ts", project({ v: 2, failEvents: true })), ...target(dir), "--confirm", "--rollback-on-failure"], at);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rolled back because command:migrate_events failed");
    expect((await ssh(host!, `cat ${log}`)).stdout.trim().split("\n")).toEqual(["migrate-repo-v2", "rollback-repo-v2"]);
    expect((await remoteState()).split("\n").filter((l) => !l.includes(`/srv/${tag}`))).toEqual(v1.split("\n").filter((l) => !l.includes(`/srv/${tag}`)));
    expect(await mainCmdline()).toBe("active\nno\n/bin/sleep 1001");
  }, 120_000);
});
