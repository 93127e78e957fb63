/**
 * Failure modes through the compiled CLI against real sshd: each is ONE clear error, exit 1, no stack
 * trace, and nothing applied that should not be.
 *
 * Host keys, wrong key and wrong password run against the shared default host (they never get past
 * the handshake). Stopping the host and cutting the connection mid-apply run against a dedicated
 * container (`hostkit-it-cut`, port 2224) so that killing its sshd, its host lock and its downtime
 * disturb no other test; it is deleted at the end. In remote mode the cut runs on the remote host
 * (only the sshd processes of HostKit's own session are killed) and the container stop is skipped.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, INCUS_SH } from "../hosts/testhost.ts";
import {
  announceSkip,
  closedPort,
  ENABLED,
  eventually,
  hostkit,
  hostLine,
  mustHost,
  onHost,
  passwordUser,
  removeTempDirs,
  SETUP_MS,
  stackLines,
  strangerKey,
  tag,
  tempDir,
  TEST_MS,
  TOOL,
  writeInfra,
  type Host,
} from "./harness.ts";

announceSkip("test/integration/failures.test.ts");

/** A small project: one directory (something to plan) on host "it". */
function project(name: string, host: string, dir: string): string {
  return `import { project, secretEnv } from "hostkit";
export default project(${JSON.stringify(name)}, (p) => {
  void secretEnv;
  ${host}
  p.directory(${JSON.stringify(dir)}, { mode: 0o750 });
});
`;
}

/** Exactly one error line, exit 1, no stack: what a user should see for a refused connection. */
function expectOneClearError(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(stackLines(r.stderr)).toEqual([]);
  expect(r.code).toBe(1);
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  expect(errors.length).toBe(1);
  expect(errors[0]).toMatch(pattern);
  expect(r.stdout).not.toContain("Plan for");
}

describe.skipIf(!ENABLED)("connection refusals (default host)", () => {
  let h: Host;
  let dir: string;
  const t = tag();
  const user = `hkpw${t}`.slice(0, 30);
  const password = `pw-${t}-Zq8`;
  let dropUser: (() => Promise<void>) | undefined;
  let good: string; // a known_hosts file with the host's real key

  beforeAll(async () => {
    h = await mustHost();
    dir = tempDir("hk-fail-");
    good = join(dir, "known_hosts.good");
    // Learn the real key once, through HostKit itself (acceptHosts records it).
    const f = writeInfra(dir, "learn.ts", project("learn", hostLine("it", h, { knownHostsFile: good }), `/srv/hk-fail-${t}`));
    const r = await hostkit(["plan", f, "--host", "it"]);
    expect(r.code).toBe(0);
    expect(readFileSync(good, "utf8")).toMatch(/^\S+ (ssh-ed25519|ecdsa-\S+|ssh-rsa) AAAA/); // recorded (hashed name)
    dropUser = await passwordUser(h, user, password);
  }, SETUP_MS);

  afterAll(async () => {
    await dropUser?.();
    removeTempDirs();
  }, TEST_MS);

  test("unknown host key (empty known_hosts, no acceptHosts): refused, nothing recorded", async () => {
    const kh = join(dir, "known_hosts.empty");
    writeFileSync(kh, "");
    const f = writeInfra(dir, "unknown.ts", project("unknown", hostLine("it", h, { knownHostsFile: kh, acceptHosts: false }), `/srv/hk-fail-${t}`));
    const r = await hostkit(["plan", f, "--host", "it"]);
    expectOneClearError(r, /^error: unknown host key for \S+ \((ssh-ed25519|ecdsa-\S+|rsa-\S+|ssh-rsa) SHA256:[A-Za-z0-9+/]+\): it is not in .*known_hosts\.empty/);
    expect(r.stderr).toContain("--accept-hosts");
    expect(readFileSync(kh, "utf8")).toBe("");
  }, TEST_MS);

  test("changed host key: refused even with acceptHosts, the file is left alone", async () => {
    const kh = join(dir, "known_hosts.changed");
    const wrong = strangerKey(dir);
    const name = h.port === 22 ? h.host : `[${h.host}]:${h.port}`;
    const body = `${name} ${wrong.pub.split(" ").slice(0, 2).join(" ")}\n`;
    writeFileSync(kh, body);
    const f = writeInfra(dir, "changed.ts", project("changed", hostLine("it", h, { knownHostsFile: kh, acceptHosts: true }), `/srv/hk-fail-${t}`));
    const r = await hostkit(["plan", f, "--host", "it"]);
    expectOneClearError(r, /^error: HOST KEY CHANGED for \S+: the server offered \S+ SHA256:\S+, but .*known_hosts\.changed:1 holds a different ssh-ed25519 key/);
    expect(r.stderr).toContain("man-in-the-middle");
    expect(readFileSync(kh, "utf8")).toBe(body);
  }, TEST_MS);

  test("wrong key: authentication failed, naming what was tried", async () => {
    const stranger = strangerKey(dir);
    const f = writeInfra(dir, "wrongkey.ts", project("wrongkey", hostLine("it", h, { knownHostsFile: good, identityFile: stranger.path }), `/srv/hk-fail-${t}`));
    const r = await hostkit(["plan", f, "--host", "it"], { env: { SSH_AUTH_SOCK: "" } });
    expectOneClearError(r, new RegExp(`^error: authentication failed for ${h.user}@${h.host.replaceAll(".", "\\.")}:${h.port} \\(tried: publickey\\)$`));
  }, TEST_MS);

  test("wrong password: authentication failed (and the right one works: it is the password)", async () => {
    const host = (pw: string) => hostLine("it", h, { knownHostsFile: good, user, identityFile: null, password: `secretEnv(${JSON.stringify(pw)})` });
    const bad = writeInfra(dir, "badpw.ts", project("badpw", host("HK_BAD_PW"), `/srv/hk-fail-${t}`));
    const r = await hostkit(["plan", bad, "--host", "it"], { env: { SSH_AUTH_SOCK: "", HK_BAD_PW: `${password}-nope` } });
    expectOneClearError(r, new RegExp(`^error: authentication failed for ${user}@.* \\(tried: password\\)$`));
    expect(r.stderr).not.toContain(`${password}-nope`);
    const ok = await hostkit(["plan", bad, "--host", "it"], { env: { SSH_AUTH_SOCK: "", HK_BAD_PW: password } });
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: "" }); // plan of a missing dir: 0 without --detailed-exitcode
    expect(ok.stdout).toContain(`+ directory:/srv/hk-fail-${t}`);
    // --password-env, the raw-flag form
    const raw = await hostkit(["plan", bad, "--remote", h.host, "--port", String(h.port), "--user", user, "--password-env", "HK_RAW_PW", "--known-hosts", good], { env: { SSH_AUTH_SOCK: "", HK_RAW_PW: "definitely-wrong" } });
    expectOneClearError(raw, /^error: authentication failed for .* \(tried: password\)$/);
  }, TEST_MS);

  test("closed port: retries as configured (3 attempts, 100/200 ms apart), then one clear error", async () => {
    const port = await closedPort();
    const f = writeInfra(dir, "closed.ts", project("closed", hostLine("it", h, { knownHostsFile: good, port, retry: { attempts: 3, baseDelay: 100, maxDelay: 400 } }), `/srv/hk-fail-${t}`));
    const r = await hostkit(["apply", f, "--host", "it", "--confirm"]);
    expectOneClearError(r, new RegExp(`^error: cannot connect to ${h.user}@${h.host.replaceAll(".", "\\.")}:${port}: .*ECONNREFUSED.* \\(gave up after 3 attempts\\)$`));
    const attempts = r.stderr.split("\n").filter((l) => /attempt \d\/3 failed/.test(l));
    expect(attempts.map((l) => /attempt (\d)\/3 failed.*retrying in (\d+) ms/.exec(l)?.slice(1))).toEqual([
      ["1", "100"],
      ["2", "200"],
    ]);
    expect(r.ms).toBeGreaterThanOrEqual(300);
    // The same as events with --json: two retries and the final failure, three attempts in all.
    const j = await hostkit(["apply", f, "--host", "it", "--confirm", "--json"]);
    expect(j.code).toBe(1);
    const events = j.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; attempt: number; attempts: number });
    expect(events.map((e) => [e.type, e.attempt, e.attempts])).toEqual([
      ["ssh.retry", 1, 3],
      ["ssh.retry", 2, 3],
      ["ssh.failed", 3, 3],
    ]);
    // retry: false → one attempt
    const once = writeInfra(dir, "once.ts", project("once", hostLine("it", h, { knownHostsFile: good, port, retry: false }), `/srv/hk-fail-${t}`));
    const o = await hostkit(["plan", once, "--host", "it"]);
    expectOneClearError(o, /ECONNREFUSED/);
    expect(o.stderr).not.toContain("attempt");
  }, TEST_MS);
});

// ─────────────────────────────────────────────────────────────── disruptive: a host of its own

const CUT = { name: "hostkit-it-cut", port: 2224 };

describe.skipIf(!ENABLED)("host down and connection cut mid-apply (dedicated host)", () => {
  let h: Host;
  let dir: string;
  let good: string;
  const t = tag();
  const log = `/var/tmp/hk-cut-${t}.log`;
  const after = `/var/tmp/hk-cut-${t}.after`;
  const data = `/srv/hk-cut-${t}`;
  const sleepArg = `7.${Math.floor(Math.random() * 900 + 100)}`;

  beforeAll(async () => {
    h = TOOL === "incus" ? await mustHost({ name: CUT.name, port: CUT.port }) : await mustHost();
    dir = tempDir("hk-cut-");
    good = join(dir, "known_hosts");
  }, SETUP_MS);

  afterAll(async () => {
    if (h) {
      // Our own run's stale lock (the cut run never released it) goes too.
      await h.sh(`rm -rf ${data} ${data}-x ${log} ${after}; grep -q '"runId":"[^"]*-hkcut${t}-' /run/hostkit.lock/holder 2>/dev/null && rm -rf /run/hostkit.lock; exit 0`);
      if (h.kind === "incus") await run(["bash", INCUS_SH, "teardown", CUT.name]);
    }
    removeTempDirs();
  }, SETUP_MS);

  const infra = () =>
    writeInfra(
      dir,
      "cut.ts",
      `import { project } from "hostkit";
export default project("hkcut${t}", (p) => {
  ${hostLine("cut", h, { knownHostsFile: good, retry: { attempts: 3, baseDelay: 100, maxDelay: 400 } })}
  p.roots({ data: "/srv" });
  p.service("hk-cut-${t}", (s) => {
    s.storage("data", { mode: 0o750 });
    s.command("slow", { exec: ["sh", "-c", "echo ran >> ${log}; sleep ${sleepArg}"] });
    s.command("after", { exec: ["touch", "${after}"], phase: "after_start" });
  });
  // Outside the service: changing it later does not make the service's commands run again.
  p.directory("${data}-x", { mode: 0o755 });
});
`,
    );

  test.skipIf(TOOL !== "incus")("host stopped: retries as configured, then a clear error; started again it works", async () => {
    const f = infra();
    const first = await hostkit(["plan", f, "--host", "cut"]);
    expect(first.code).toBe(0);
    await run(["bash", INCUS_SH, "stop", CUT.name]);
    try {
      const r = await hostkit(["plan", f, "--host", "cut"]);
      expectOneClearError(r, /^error: cannot connect to .*:2224: .* \(gave up after 3 attempts\)$/);
      expect(r.stderr.split("\n").filter((l) => /attempt [12]\/3 failed/.test(l)).length).toBe(2);
    } finally {
      await run(["bash", INCUS_SH, "start", CUT.name]);
    }
    const back = await hostkit(["plan", f, "--host", "cut"]);
    expect({ code: back.code, stderr: back.stderr }).toEqual({ code: 0, stderr: "" });
  }, TEST_MS);

  test("connection cut mid-apply: stops, reports what was applied, exits 1, re-runs nothing", async () => {
    const f = infra();
    await onHost(h, `rm -rf ${data} ${data}-x ${log} ${after}`);
    const apply = hostkit(["apply", f, "--host", "cut", "--confirm"], { waitForLock: true });
    // While the slow command sleeps, kill the sshd processes serving HostKit's session (its ancestors).
    await eventually(async () => (await h.sh(`grep -q ran ${log}`)).code === 0, 30_000, "the slow command to start");
    const killed = await onHost(
      h,
      `pid=$(pgrep -x -f 'sleep ${sleepArg}' | head -n1); [ -n "$pid" ] || { echo "no sleep process" >&2; exit 1; }
p=$pid; victims=
while [ "$p" -gt 1 ]; do
  pp=$(awk '/^PPid:/ {print $2}' /proc/$p/status)
  if [ "$(cat /proc/$p/comm)" = sshd ] && [ "$pp" -ne 1 ]; then victims="$victims $p"; fi
  p=$pp
done
[ -n "$victims" ] || { echo "no sshd session process above $pid" >&2; exit 1; }
kill -9 $victims && echo "$victims"`,
    );
    expect(killed.trim()).not.toBe("");
    const r = await apply;
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(1);
    // What was applied, what failed (and why), what was not applied.
    expect(r.stderr).toMatch(/run \S+-hkcut\S+ failed\./);
    const applied = /applied \((\d+)\): (.*)/.exec(r.stderr);
    expect(applied?.[1]).toBe("2");
    expect(applied?.[2]?.split(", ").sort()).toEqual([`directory:${data}`, `directory:${data}-x`]);
    expect(r.stderr).toMatch(/failed: command:slow: connection lost: .*it may or may not have completed and is not re-run/);
    expect(r.stderr).toMatch(/not applied \(1\): command:after/);
    // On the host: the directory exists, the slow command ran exactly once, the later one never.
    await Bun.sleep(500);
    expect((await onHost(h, `stat -c %a ${data}; cat ${log}; [ -e ${after} ] && echo after-ran || echo after-not-run`)).trim().split("\n")).toEqual(["750", "ran", "after-not-run"]);
  }, TEST_MS);

  test("after the cut: the host works again; its stale lock is reported and --break-lock clears it", async () => {
    const f = infra();
    // The slow command is still sleeping on the host; its run's lock is left (the run was cut).
    await onHost(h, `chmod 0700 ${data}-x`); // something to apply, outside the service
    const r = await hostkit(["apply", f, "--host", "cut", "--confirm"]);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .*the host lock is stale: run \S+-hkcut\S+ .* is gone/);
    expect(r.stderr).toContain("--break-lock");
    const b = await hostkit(["apply", f, "--host", "cut", "--confirm", "--break-lock"]);
    expect({ code: b.code, errors: b.stderr.split("\n").filter((l) => l.startsWith("error")) }).toEqual({ code: 0, errors: [] });
    // Fixed; and the cut command was not run again (its service did not change).
    expect((await onHost(h, `stat -c %a ${data}-x; cat ${log}`)).trim().split("\n")).toEqual(["755", "ran"]);
  }, TEST_MS);
});
