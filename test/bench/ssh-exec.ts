/**
 * Per-exec latency over SSH: HostKit's persistent session (one channel, framed commands) versus opening a
 * new exec channel per command, and one probe batch versus the same probes one by one.
 *
 *   bun run test/bench/ssh-exec.ts [N]
 *
 * Against a throwaway sshd on loopback (needs root + /usr/sbin/sshd: .ci/setup-sshd.sh), and against the
 * test host too when HOSTKIT_INTEGRATION_TOOL is set (test/hosts/testhost.ts).
 */
import { chmodSync, existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Client } from "ssh2";
import { openSsh, type SshOptions } from "../../src/targets/ssh.ts";
import { batchScript, commandLine, parseBatch } from "../../src/targets/shell.ts";
import { createUser, hostKeys, keygen, removeTempDirs, sshdUnavailable, tempDir, TestSshd } from "../targets/sshd.ts";

const N = Number(process.argv[2] ?? 100);
const PROBE: string[] = ["stat", "-c", "%a %U %G %s", "/etc/hostname"];

function stats(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const p = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `mean ${mean.toFixed(2)} ms  p50 ${p(0.5).toFixed(2)}  p90 ${p(0.9).toFixed(2)}  (n=${s.length})`;
}

async function time(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

/** The naive design: one ssh2 exec channel per command, on one already-open connection. */
async function perChannel(o: SshOptions, n: number): Promise<number[]> {
  const conn = new Client();
  const privateKey = await Bun.file(o.identityFile!).text();
  await new Promise<void>((resolve, reject) => {
    conn.once("ready", () => resolve()).once("error", reject);
    conn.connect({
      host: o.host,
      port: o.port,
      username: o.user,
      privateKey,
      hostVerifier: () => true, // bench only: the same host was just verified by openSsh
    });
  });
  const line = commandLine(PROBE);
  const once = () =>
    new Promise<void>((resolve, reject) =>
      conn.exec(line, (err, ch) => {
        if (err) return reject(err);
        ch.on("data", () => {}).on("close", () => resolve());
        ch.stderr.on("data", () => {});
      }),
    );
  try {
    return await time(n, once);
  } finally {
    conn.end();
  }
}

async function bench(label: string, o: SshOptions): Promise<void> {
  console.log(`\n== ${label}: ${o.user}@${o.host}:${o.port}`);
  let connectMs = 0;
  const t0 = performance.now();
  const r = await openSsh({ ...o, onEvent: (e) => void (e.type === "ssh.connected" && (connectMs = e.ms)) });
  console.log(`connect (TCP + kex + auth): ${connectMs} ms; until the session is ready: ${(performance.now() - t0).toFixed(0)} ms`);
  console.log(`exec over the persistent session : ${stats(await time(N, () => r.exec(PROBE)))}`);
  console.log(`  (\`true\`, no output)            : ${stats(await time(N, () => r.exec(["true"])))}`);
  const channel = await perChannel(o, Math.min(N, 50));
  console.log(`new exec channel per command     : ${stats(channel)}`);
  const probes = Array.from({ length: 50 }, () => PROBE);
  const batched = await time(5, async () => parseBatch((await r.exec(["sh", "-s"], { stdin: batchScript(probes) })).stdout));
  const oneByOne = await time(5, async () => {
    for (const p of probes) await r.exec(p);
  });
  console.log(`50 probes, one batch script      : ${stats(batched)}`);
  console.log(`50 probes, one exec each         : ${stats(oneByOne)}`);
  console.log(`runner stats: ${JSON.stringify(r.stats())}`);
  await r.close();
}

const why = sshdUnavailable();
if (why) {
  console.log(`skip: local sshd bench: ${why}`);
} else {
  const dir = tempDir("hk-bench-");
  hostKeys(join(dir, "hostkeys"));
  const client = keygen(join(dir, "id_ed25519"));
  chmodSync(dir, 0o755); // sshd reads authorized_keys as the user
  // root's login shell may source a heavy ~/.bashrc for every channel; a /bin/sh user shows sshd's own cost.
  const user = createUser("hostkit-b", randomBytes(12).toString("hex"));
  const sshd = await TestSshd.start({
    dir,
    hostKeyDir: join(dir, "hostkeys"),
    authorized: { root: [client.pub], [user.name]: [client.pub] },
  });
  try {
    for (const u of ["root", user.name]) {
      await bench(`local test sshd (UsePAM no), login shell of ${u}`, {
        host: "127.0.0.1",
        port: sshd.port,
        user: u,
        identityFile: client.path,
        agent: false,
        acceptHosts: true,
        knownHostsFile: join(dir, "known_hosts"),
      });
    }
  } finally {
    await sshd.stop();
    user.drop();
  }
}

const hostModule = join(import.meta.dir, "..", "hosts", "testhost.ts");
if (!process.env.HOSTKIT_INTEGRATION_TOOL) console.log("\nskip: test host bench: HOSTKIT_INTEGRATION_TOOL is not set");
else if (!existsSync(hostModule)) console.log("\nskip: test host bench: test/hosts/testhost.ts does not exist yet");
else {
  const mod = (await import(hostModule)) as {
    testHost(): Promise<{ host: string; port: number; user: string; identityFile: string } | { skip: string }>;
  };
  const h = await mod.testHost();
  if ("skip" in h) console.log(`\nskip: test host bench: ${h.skip}`);
  else {
    await bench(`test host (${process.env.HOSTKIT_INTEGRATION_TOOL})`, {
      ...h,
      agent: false,
      acceptHosts: true,
      knownHostsFile: join(tempDir("hk-bench-host-"), "known_hosts"),
    });
  }
}
removeTempDirs();
