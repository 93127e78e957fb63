/**
 * Issue 15 item 4, measured (a script, not a test; it prints figures and asserts nothing about time):
 * the instance step of `test/hosts/incus.sh launch NAME PORT` against `hostkit apply` of the same test
 * host declared as a HostKit instance, from nothing and again with the instance up, N rounds each,
 * alternating. Both use the cached local image, the `hostkit` profile and the script's test key.
 *
 *   bun run test/bench/testhost-instance.ts [--rounds 3] [--prefix hk-bench-th] [--port 2390]
 *
 * Not the same work, said with the figures: the script also waits until systemd inside has booted,
 * points resolv.conf at the bridge and checks `ssh … true`; HostKit waits for the SSH banner and then
 * logs in to plan the (empty) nested host, and does not set the script's marker key
 * (`user.hostkit.testhost`: `user.hostkit.*` is HostKit's own namespace, so a declaration cannot).
 * Needs root (or passwordless sudo for incus) and `test/hosts/incus.sh ensure` done once.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { binary } from "../helpers/binary.ts";

const { values: args } = parseArgs({ args: Bun.argv.slice(2), options: { rounds: { type: "string", default: "3" }, prefix: { type: "string", default: "hk-bench-th" }, port: { type: "string", default: "2390" } } });
const ROUNDS = Number(args.rounds);
const SH_NAME = `${args.prefix}-sh`;
const HK_DECL = `${args.prefix}-hk`.replace(/-/g, "_");
const HK_NAME = `${args.prefix}-hk`;
const SH_PORT = Number(args.port);
const HK_PORT = SH_PORT + 1;
const SCRIPT = resolve(import.meta.dir, "../hosts/incus.sh");
const KEY = process.env.HOSTKIT_SSH_PRIVATE_KEY ?? "/var/cache/hostkit-incus/ssh/id_ed25519";
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

function run(argv: string[]): { ms: number; code: number; stderr: string } {
  const t0 = performance.now();
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  return { ms: performance.now() - t0, code: p.exitCode ?? -1, stderr: p.stderr.toString() };
}
const sshOk = (port: number) =>
  run(["ssh", "-i", KEY, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=3", "-p", String(port), "root@127.0.0.1", "true"]).code === 0;
const incus = (...a: string[]) => run([...(process.getuid?.() === 0 ? [] : ["sudo", "-n"]), "incus", ...a]);

const image = Bun.spawnSync(["sh", "-c", `${process.getuid?.() === 0 ? "" : "sudo -n "}incus image alias list -f csv | cut -d, -f1 | grep '^hostkit-bookworm-' | head -n1`]).stdout.toString().trim();
if (!image) throw new Error("no local image hostkit-bookworm-*: run test/hosts/incus.sh ensure first");
const dir = mkdtempSync(join(tmpdir(), "hk-bench-th-"));
const infra = join(dir, "testhosts.ts");
writeFileSync(
  infra,
  `import { project, incus } from "hostkit";
// the instance step of test/hosts/incus.sh launch NAME PORT, declared
export default project("testhosts", (p) => {
  p.instance("${HK_DECL}", {
    backend: incus({ profiles: ["hostkit"] }),
    image: "${image}",
    name: "${HK_NAME}",
    expose: { ssh: { host: ${HK_PORT}, guest: 22 } },
    config: { "security.privileged": false },
  }, (i) => {
    i.host("testhost", { at: "127.0.0.1", ssh: { user: "root", port: ${HK_PORT}, identityFile: "${KEY}", acceptHosts: true, knownHostsFile: "${dir}/known_hosts" } });
  });
});
`,
);
const bin = await binary();
const rows: string[] = [];
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
try {
  for (let i = 1; i <= ROUNDS; i++) {
    const a = run(["bash", SCRIPT, "launch", SH_NAME, String(SH_PORT)]);
    const aOk = sshOk(SH_PORT);
    const a2 = run(["bash", SCRIPT, "launch", SH_NAME, String(SH_PORT)]);
    incus("delete", "--force", SH_NAME);
    rmSync(join(dir, "known_hosts"), { force: true });
    const b = run([bin, "apply", infra, "--instance", HK_DECL, "--confirm"]);
    const bOk = sshOk(HK_PORT);
    const b2 = run([bin, "apply", infra, "--instance", HK_DECL, "--confirm"]);
    incus("delete", "--force", HK_NAME);
    if (a.code || b.code) log(`round ${i}: script exit ${a.code}, hostkit exit ${b.code}\n${a.stderr.slice(-800)}\n${b.stderr.slice(-800)}`);
    rows.push(`round ${i}: from nothing: incus.sh launch ${s(a.ms)} (ssh ${aOk ? "ok" : "FAILED"}), hostkit apply ${s(b.ms)} (ssh ${bOk ? "ok" : "FAILED"}); up already: incus.sh ${s(a2.ms)}, hostkit ${s(b2.ms)}`);
    log(rows.at(-1)!);
  }
} finally {
  incus("delete", "--force", SH_NAME);
  incus("delete", "--force", HK_NAME);
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${rows.join("\n")}\n`);
