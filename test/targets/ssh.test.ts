/**
 * SSH adapter against a REAL OpenSSH server on loopback (started here; see sshd.ts), plus the test
 * container when HOSTKIT_INTEGRATION_TOOL=incus and test/hosts/testhost.ts exist.
 */
import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import { closeAll, openSsh, SshConnectError, type SshOptions, type TransportEvent } from "../../src/targets/ssh.ts";
import { TransportError, text } from "../../src/targets/runner.ts";
import { runnerContract } from "./contract.ts";
import { createUser, hostKeys, keygen, removeTempDirs, run, sshdUnavailable, tempDir, TestSshd, type HostKeyType } from "./sshd.ts";

const unavailable = sshdUnavailable();
/** `bun test` defaults to 5 s per test; these start servers and wait on purpose. */
const T = 30_000;

/** Resolves to the error a promise rejected with (fails the test if it resolved). */
async function failure(p: Promise<unknown>): Promise<SshConnectError> {
  const r = await p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  if (r.ok) throw new Error("expected a failure, got a result");
  expect(r.e).toBeInstanceOf(TransportError);
  return r.e as SshConnectError;
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}

function sshSuite(): void {
  const dir = tempDir("hk-ssh-");
  const hostKeyDir = join(dir, "hostkeys");
  const password = `pw-${randomBytes(9).toString("hex")}`;
  let pubs: Record<HostKeyType, string>;
  let client: { path: string; pub: string };
  let sshd: TestSshd;
  let user: { name: string; drop(): void };
  let USER = "";
  const knownHosts = join(dir, "known_hosts");
  const extra: TestSshd[] = [];

  const entry = (port: number, pub: string) => `[127.0.0.1]:${port} ${pub.split(" ").slice(0, 2).join(" ")}`;
  const base = (o: Partial<SshOptions> = {}): SshOptions => ({
    host: "127.0.0.1",
    port: sshd.port,
    user: "root",
    identityFile: client.path,
    agent: false,
    knownHostsFile: knownHosts,
    retry: false,
    ...o,
  });

  beforeAll(async () => {
    pubs = hostKeys(hostKeyDir);
    client = keygen(join(dir, "id_ed25519"));
    sshd = await TestSshd.start({ dir, hostKeyDir, authorized: { root: [client.pub] } });
    writeFileSync(knownHosts, `# test known_hosts\n${entry(sshd.port, pubs.ed25519)}\n`);
    user = createUser("hostkit-t", password);
    USER = user.name;
  }, T);
  afterAll(async () => {
    user?.drop();
    for (const s of [sshd, ...extra]) await s?.stop();
  });

  runnerContract("ssh", () => openSsh(base()));
  runnerContract("ssh (sudo)", () => openSsh(base({ sudo: true })));

  describe("ssh runner", () => {
    test("one connection and ONE channel for many commands", async () => {
      const events: TransportEvent[] = [];
      const r = await openSsh(base({ onEvent: (e) => events.push(e) }));
      for (let i = 0; i < 25; i++) expect((await r.exec(["true"])).code).toBe(0);
      expect(r.stats()).toEqual({ connects: 1, channels: 1 });
      expect(r.description).toBe(`ssh root@127.0.0.1:${sshd.port}`);
      expect(events.map((e) => e.type)).toEqual(["ssh.connected"]);
      await r.close();
    }, T);

    test("closeAll closes every open runner", async () => {
      const a = await openSsh(base());
      const b = await openSsh(base({ sudo: true }));
      await closeAll();
      for (const r of [a, b]) expect((await failure(r.exec(["true"]))).sent).toBe(false);
    }, T);

    test("sudo: every command runs through `sudo -n` as root", async () => {
      const r = await openSsh(base({ sudo: true }));
      const res = await r.exec(["sh", "-c", 'echo "$SUDO_USER $(id -u)"']);
      expect(text(res.stdout)).toBe("root 0\n");
      expect(r.description).toContain("(sudo)");
      await r.close();
    }, T);

    test("unknown host key is refused; the file is left alone", async () => {
      const file = join(dir, "kh-empty");
      const err = await failure(openSsh(base({ knownHostsFile: file })));
      expect(err.reason).toBe("host-key");
      expect(err.message).toContain(`unknown host key for [127.0.0.1]:${sshd.port}`);
      expect(err.message).toContain(file);
      expect(err.message).toContain("acceptHosts");
      expect(existsSync(file)).toBe(false);
    }, T);

    test("acceptHosts records a hashed entry; the next connect verifies it", async () => {
      const file = join(dir, "kh-accept", "known_hosts");
      const events: TransportEvent[] = [];
      const first = await openSsh(base({ knownHostsFile: file, acceptHosts: true, onEvent: (e) => events.push(e) }));
      await first.close();
      const lines = readFileSync(file, "utf8").trim().split("\n");
      expect(lines.length).toBe(1);
      expect(lines[0]).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
      expect(events[0]).toMatchObject({ type: "ssh.hostkey.recorded", file });
      const second = await openSsh(base({ knownHostsFile: file }));
      expect((await second.exec(["true"])).code).toBe(0);
      await second.close();
      expect(readFileSync(file, "utf8").trim().split("\n").length).toBe(1);
    }, T);

    test.each(["ed25519", "ecdsa", "rsa"] as const)("a plain entry holding only the %s key is enough", async (t) => {
      const file = join(dir, `kh-${t}`);
      writeFileSync(file, `${entry(sshd.port, pubs[t])}\n`);
      const r = await openSsh(base({ knownHostsFile: file }));
      await r.close();
    }, T);

    test("entries hashed by ssh-keygen -H are recognised", async () => {
      const file = join(dir, "kh-hashed");
      writeFileSync(file, `${entry(sshd.port, pubs.ecdsa)}\n`);
      run(["ssh-keygen", "-q", "-H", "-f", file]);
      expect(readFileSync(file, "utf8")).toMatch(/^\|1\|/);
      const r = await openSsh(base({ knownHostsFile: file }));
      await r.close();
    }, T);

    test("a CHANGED host key is refused with file:line and the fix, even with acceptHosts", async () => {
      const sdir = tempDir("hk-ssh-changed-");
      const keysDir = join(sdir, "hostkeys");
      hostKeys(keysDir);
      let s = await TestSshd.start({ dir: sdir, hostKeyDir: keysDir, authorized: { root: [client.pub] } });
      extra.push(s);
      const file = join(sdir, "known_hosts");
      writeFileSync(file, "# first line\n");
      await (await openSsh(base({ port: s.port, knownHostsFile: file, acceptHosts: true }))).close();
      await s.stop();
      hostKeys(keysDir); // the host is "reinstalled"
      s = await TestSshd.start({ dir: sdir, hostKeyDir: keysDir, authorized: { root: [client.pub] }, port: s.port });
      extra.push(s);
      const before = readFileSync(file, "utf8");
      const err = await failure(openSsh(base({ port: s.port, knownHostsFile: file, acceptHosts: true })));
      expect(err.reason).toBe("host-key");
      expect(err.message).toContain(`HOST KEY CHANGED for [127.0.0.1]:${s.port}`);
      expect(err.message).toContain(`${file}:2`);
      expect(err.message).toContain("ssh-keygen");
      expect(readFileSync(file, "utf8")).toBe(before);
    }, T);

    test("wrong key: a clear authentication error, not retried", async () => {
      const wrong = keygen(join(dir, "id_wrong"));
      const events: TransportEvent[] = [];
      const err = await failure(openSsh(base({ identityFile: wrong.path, retry: 3, onEvent: (e) => events.push(e) })));
      expect(err.reason).toBe("auth");
      expect(err.message).toBe(`authentication failed for root@127.0.0.1:${sshd.port} (tried: publickey)`);
      expect(events).toEqual([]);
    }, T);

    test("wrong password: clear error that never contains the password", async () => {
      const canary = `canary-${randomBytes(12).toString("hex")}`;
      const events: TransportEvent[] = [];
      const warn = spyOn(process.stderr, "write");
      const err = await failure(
        openSsh(base({ identityFile: undefined, password: canary, retry: 2, onEvent: (e) => events.push(e) })),
      );
      expect(err.message).toBe(`authentication failed for root@127.0.0.1:${sshd.port} (tried: password)`);
      for (const s of [err.message, String(err), err.stack ?? "", JSON.stringify(events), JSON.stringify(warn.mock.calls)]) {
        expect(s).not.toContain(canary);
      }
      warn.mockRestore();
    }, T);

    test("password authentication works (throwaway user)", async () => {
      const r = await openSsh(base({ user: USER, identityFile: undefined, password }));
      expect(text((await r.exec(["id", "-un"])).stdout)).toBe(`${USER}\n`);
      expect(r.description).not.toContain(password);
      await r.close();
    }, T);

    test("sudo without the right: clear error naming user and host", async () => {
      const err = await failure(openSsh(base({ user: USER, identityFile: undefined, password, sudo: true })));
      expect(err.reason).toBe("sudo");
      expect(err.message).toContain(`sudo -n is not allowed for ${USER} on 127.0.0.1:${sshd.port}`);
      expect(err.message).toContain("password is required");
      expect(err.message).not.toContain(password);
    }, T);

    test("identity file: `~` is expanded; a missing file is a clear error", async () => {
      const r = await openSsh(base({ identityFile: `~/${relative(homedir(), client.path)}` }));
      await r.close();
      const err = await failure(openSsh(base({ identityFile: join(dir, "nope") })));
      expect(err.reason).toBe("config");
      expect(err.message).toContain(`cannot read identity file ${join(dir, "nope")}`);
    }, T);

    test("ssh-agent authentication (SSH_AUTH_SOCK)", async () => {
      const sock = join(dir, "agent.sock");
      const agent = Bun.spawn(["ssh-agent", "-D", "-a", sock], { stdout: "ignore", stderr: "ignore" });
      try {
        await waitFor(() => existsSync(sock));
        Bun.spawnSync(["ssh-add", "-q", client.path], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
        const r = await openSsh(base({ identityFile: undefined, agent: sock }));
        expect((await r.exec(["true"])).code).toBe(0);
        await r.close();
        const saved = process.env.SSH_AUTH_SOCK;
        process.env.SSH_AUTH_SOCK = sock; // the default agent
        try {
          const viaEnv = await openSsh(base({ identityFile: undefined, agent: undefined }));
          await viaEnv.close();
        } finally {
          if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
          else process.env.SSH_AUTH_SOCK = saved;
        }
      } finally {
        agent.kill();
      }
    }, T);

    test("closed port: retries with capped backoff (events, or one stderr line each), then one clear error", async () => {
      const { freePort } = await import("./sshd.ts");
      const port = await freePort();
      const events: TransportEvent[] = [];
      const started = performance.now();
      const err = await failure(
        openSsh(base({ port, retry: { attempts: 3, baseDelay: 50, maxDelay: 200 }, onEvent: (e) => events.push(e) })),
      );
      const elapsed = performance.now() - started;
      expect(err.reason).toBe("unreachable");
      expect(err.message).toContain(`cannot connect to root@127.0.0.1:${port}`);
      expect(err.message).toContain("ECONNREFUSED");
      expect(err.message).toContain("gave up after 3 attempts");
      expect(events.map((e) => (e.type === "ssh.retry" ? [e.attempt, e.attempts, e.delayMs] : e.type === "ssh.failed" ? [e.attempt, e.attempts] : e.type))).toEqual([
        [1, 3, 50],
        [2, 3, 100],
        [3, 3],
      ]);
      expect(elapsed).toBeGreaterThanOrEqual(150);
      // Without an event handler the runner logs each retry itself, on stderr (stdout may be --json).
      const warn = spyOn(process.stderr, "write");
      await failure(openSsh(base({ port, retry: { attempts: 3, baseDelay: 50, maxDelay: 200 } })));
      const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(`root@127.0.0.1:${port}`));
      warn.mockRestore();
      expect(lines.map((l) => /attempt (\d)\/3 failed/.exec(l)?.[1])).toEqual(["1", "2"]);
      const once: TransportEvent[] = [];
      await failure(openSsh(base({ port, retry: false, onEvent: (e) => once.push(e) })));
      expect(once.map((e) => e.type)).toEqual(["ssh.failed"]);
    }, T);

    test("connection cut mid-command: TransportError(sent=true), and the command is not re-run", async () => {
      const s = await TestSshd.start({ dir: tempDir("hk-ssh-cut-"), hostKeyDir, authorized: { root: [client.pub] } });
      extra.push(s);
      const file = join(dir, "kh-cut");
      writeFileSync(file, `${entry(s.port, pubs.ed25519)}\n`);
      const r = await openSsh(base({ port: s.port, knownHostsFile: file }));
      const counter = join(dir, "cut-counter");
      const pending = r.exec(["sh", "-c", 'echo run >> "$1"; sleep 2; echo done', "sh", counter]);
      await waitFor(() => existsSync(counter));
      const pids = s.sessionPids();
      expect(pids.length).toBeGreaterThan(0);
      for (const pid of pids) process.kill(pid, "SIGKILL");
      const err = await failure(pending);
      expect(err.sent).toBe(true);
      expect(err.message).toContain("connection lost while running `sh`");
      expect(err.message).toContain("not re-run");
      const next = await failure(r.exec(["true"]));
      expect(next.sent).toBe(false);
      await Bun.sleep(2500);
      expect(readFileSync(counter, "utf8")).toBe("run\n");
      await r.close();
      await r.close();
    }, T);
  });
}

afterAll(() => removeTempDirs());

if (unavailable) {
  if (process.env.CI) {
    test("a real sshd is available (CI runs .ci/setup-sshd.sh)", () => {
      throw new Error(`cannot run the SSH tests: ${unavailable}`);
    });
  } else {
    console.log(`skip: SSH adapter tests: ${unavailable}`);
    test.skip(`SSH adapter tests (${unavailable})`, () => {});
  }
} else {
  sshSuite();
}

// --- The real test host (Incus container, or a remote host), when asked for -------------------------------------
// test/hosts/testhost.ts belongs to the test-host work; it is loaded dynamically so this file does not depend on it.
type HostInfo = { host: string; port: number; user: string; identityFile: string } | { skip: string };
const hostModule = join(import.meta.dir, "..", "hosts", "testhost.ts");
const tool = process.env.HOSTKIT_INTEGRATION_TOOL ?? "";
const containerSkip = !tool
  ? "HOSTKIT_INTEGRATION_TOOL is not set (incus or remote)"
  : !existsSync(hostModule)
    ? "test/hosts/testhost.ts does not exist yet"
    : undefined;
if (containerSkip) {
  console.log(`skip: Runner contract on the test host: ${containerSkip}`);
  test.skip(`Runner contract on the test host (${containerSkip})`, () => {});
} else {
  let h: { host: string; port: number; user: string; identityFile: string } | undefined;
  beforeAll(async () => {
    const mod = (await import(hostModule)) as { testHost(): Promise<HostInfo> };
    const got = await mod.testHost();
    if ("skip" in got) throw new Error(`HOSTKIT_INTEGRATION_TOOL=${tool} but the test host is unavailable: ${got.skip}`);
    h = got;
  }, 600_000);
  const khDir = tempDir("hk-ssh-host-");
  runnerContract(`ssh test host (${tool})`, async () => {
    if (!h) throw new Error("test host did not start");
    const { identityFile, ...where } = h;
    return openSsh({ ...where, ...(identityFile ? { identityFile } : {}), agent: false, acceptHosts: true, knownHostsFile: join(khDir, "known_hosts") });
  });
}
