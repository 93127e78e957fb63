/**
 * Firewall policy on a real host (issue 14), through the compiled binary, on a DEDICATED privileged
 * Incus container (hostkit-it-fwp: a firewall test must not disturb the shared test hosts). The
 * controller reaches it at its own address on the Incus bridge, never through the loopback proxy
 * device (whose connections arrive on `lo`, which the policy always accepts). Every TCP attempt is
 * one connection bounded to 3 s.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createConnection } from "node:net";
import { join } from "node:path";
import { eventually, hostkit, mustHost, onHost, removeTempDirs, SETUP_MS, stackLines, tempDir, TEST_MS, TOOL, writeInfra, type Host } from "./harness.ts";
import { cannotRun } from "../helpers/real-host.ts";
import { apply, Firewall, load, plan, Target } from "../../src/api.ts";

const FILE = "/etc/nftables.d/hostkit.nft";
const why = TOOL === "incus" ? false : "needs HOSTKIT_INTEGRATION_TOOL=incus (a dedicated privileged container, reached on the Incus bridge)";

/** One bounded TCP attempt from the controller: connected, refused (answered) or dropped (silent). */
function tcp(host: string, port: number): Promise<"connected" | "refused" | "dropped" | string> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    const done = (v: string) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(3000, () => done("dropped"));
    s.on("connect", () => done("connected"));
    s.on("error", (e: NodeJS.ErrnoException) => done(e.code === "ECONNREFUSED" ? "refused" : `error ${e.code}`));
  });
}

const policy = (rules: string) => `import { project } from "hostkit";
export default project("fw", (p) => {
  p.firewall((f) => {
${rules}
  });
});
`;
const SEED = `    f.allow({ tcp: 22, from: "any" });
    f.allow({ tcp: [80, 443], from: "any" });
    f.allow({ tcp: 9100, from: [10, 44, 0, 0, 24] });
    f.allow({ tcp: 8080, from: "any" });
    f.deny("all");`;

describe.skipIf(cannotRun("test/integration/firewall.test.ts", why))("firewall on a privileged container", () => {
  let h: Host;
  let ip = "";
  let dir = "";
  let flags: string[] = [];
  let foreign = "";
  const onIt = (script: string) => onHost(h, script);
  const rev = async () => /rev ([0-9a-f]{16})/.exec(await onIt("nft list table inet hostkit 2>/dev/null || true"))?.[1];
  const fileSha = async () => (await onIt(`sha256sum ${FILE} 2>/dev/null || echo none`)).trim().split(" ")[0];
  const run = (args: string[]) => hostkit([...args, ...flags], { waitForLock: true });

  beforeAll(async () => {
    h = await mustHost({ name: "hostkit-it-fwp", port: 2242, privileged: true });
    ip = (await onHost(h, "ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1")).trim();
    dir = tempDir("fw-");
    flags = ["--remote", ip, "--port", "22", "--user", h.user, "--identity-file", h.identityFile, "--known-hosts", join(dir, "known_hosts"), "--accept-hosts"];
    // A clean host: no HostKit table or file, the distribution's conf, two listeners, a foreign table.
    await onIt(`set -e
nft delete table inet hostkit 2>/dev/null || true
nft delete table inet foreign 2>/dev/null || true
rm -f ${FILE} /var/lib/hostkit/firewall/*.nft
[ -f /root/nftables.conf.orig ] || cp -p /etc/nftables.conf /root/nftables.conf.orig
# The distribution's conf as it was, without what an earlier (interrupted) run added.
grep -v -e '^# Added by HostKit' -e '^include "/etc/nftables.d/\\*.nft"$' /root/nftables.conf.orig > /etc/nftables.conf || true
systemctl disable --quiet nftables.service 2>/dev/null || true
for port in 8080 9101; do
  systemctl stop hk-fw-listen-$port 2>/dev/null || true
  systemd-run --quiet --unit hk-fw-listen-$port python3 -m http.server --bind 0.0.0.0 $port
done
nft add table inet foreign
nft add chain inet foreign input '{ type filter hook input priority 10; policy accept; }'
nft add rule inet foreign input tcp dport 7777 counter accept
for i in $(seq 50); do ss -Htln | grep -q ':9101 ' && ss -Htln | grep -q ':8080 ' && exit 0; sleep 0.1; done; exit 1`);
    foreign = await onIt("nft list table inet foreign");
  }, SETUP_MS);

  afterAll(async () => {
    if (h) {
      await onIt(`nft delete table inet hostkit 2>/dev/null; nft delete table inet foreign 2>/dev/null; rm -f ${FILE}
cp -p /root/nftables.conf.orig /etc/nftables.conf; systemctl disable --quiet nftables.service 2>/dev/null
systemctl stop hk-fw-listen-8080 hk-fw-listen-9101 2>/dev/null; true`);
    }
    removeTempDirs();
  }, TEST_MS);

  test("the controller reaches both listeners before any policy (control)", async () => {
    expect([await tcp(ip, 8080), await tcp(ip, 9101)]).toEqual(["connected", "connected"]);
  }, TEST_MS);

  test("the seed's policy applies with --nft-reload: allowed port connects, the other is dropped, the foreign table is untouched, a second plan has zero changes", async () => {
    const f = writeInfra(dir, "seed.ts", policy(SEED));
    const r = await run(["apply", f, "--nft-reload", "--confirm", "--track", "--runs-root", join(dir, "runs")]);
    expect(stackLines(r.stderr)).toEqual([]);
    expect({ code: r.code, stderr: r.code ? r.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toContain('/etc/nftables.conf: include "/etc/nftables.d/*.nft"');
    const table = await onIt("nft list table inet hostkit");
    expect(table).toContain("policy drop;");
    expect(table).toContain("tcp dport 8080 accept");
    expect([await tcp(ip, 8080), await tcp(ip, 9101)]).toEqual(["connected", "dropped"]);
    expect(await onIt("nft list table inet foreign")).toBe(foreign);
    expect(await onIt("grep -c 'include \"/etc/nftables.d/\\*.nft\"' /etc/nftables.conf; systemctl is-enabled nftables.service")).toBe("1\nenabled\n");
    const again = await run(["plan", f, "--nft-reload", "--detailed-exitcode"]);
    expect({ code: again.code, noChanges: again.stdout.includes("No changes.") }).toEqual({ code: 0, noChanges: true });
    // Persistent: nftables.service (what runs at boot) loads the same table from /etc/nftables.conf.
    const loaded = await rev();
    await onIt("nft delete table inet hostkit && systemctl restart nftables.service");
    expect(await rev()).toBe(loaded);
    expect([await tcp(ip, 8080), await tcp(ip, 9101)]).toEqual(["connected", "dropped"]);
  }, TEST_MS);

  test("the runtime API: plan and apply with nftReload: true load the rules; without it they are only written", async () => {
    const f = writeInfra(dir, "api.ts", policy(`${SEED.replace('    f.deny("all");', "")}    f.allow({ tcp: 9101, from: "any" });\n    f.deny("all");`));
    const project = await load(f);
    const [declared] = Firewall.policies(project);
    const target = Target.ssh("fwp", { host: ip, port: 22, user: h.user, identityFile: h.identityFile, knownHostsFile: join(dir, "known_hosts") });
    const before = await rev();
    const written = await plan(project, { target });
    expect(written.changes.map((c) => c.reason)).toEqual([expect.stringContaining("they are loaded only with --nft-reload")]);
    expect(await apply(written, { target, confirm: true })).toMatchObject({ status: "ok" });
    expect(await rev()).toBe(before);
    expect(await onIt(`cat ${FILE}`)).toBe(Firewall.nftables.render(declared!.policy));
    const p = await plan(project, { target, nftReload: true });
    expect(await apply(p, { target, confirm: true, nftReload: true })).toMatchObject({ status: "ok" });
    expect(await rev()).toBe(/rev ([0-9a-f]{16})/.exec(Firewall.nftables.render(declared!.policy))![1]);
    expect(await tcp(ip, 9101)).toBe("connected");
    // Back to the seed's rules for the next tests.
    const back = await run(["apply", join(dir, "seed.ts"), "--nft-reload", "--confirm"]);
    expect(back.code).toBe(0);
    expect(await tcp(ip, 9101)).toBe("dropped");
  }, TEST_MS);

  test("a raw rule nft rejects fails at validation on the host with nft's message: nothing written, nothing loaded", async () => {
    const [sha, loaded] = [await fileSha(), await rev()];
    const f = writeInfra(dir, "raw-bad.ts", policy(`${SEED}\n    f.raw("tcp dport 2222 frobnicate");`));
    const r = await run(["apply", f, "--nft-reload", "--confirm"]);
    expect(r.code).toBe(1);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.stderr).toContain("nft -c rejected the ruleset; nothing was written");
    expect(r.stderr).toMatch(/hostkit\.nft:\d+:\d+-\d+: Error: syntax error.*\[project "fw" › firewall › raw #6\]/);
    expect([await fileSha(), await rev()]).toEqual([sha, loaded]);
  }, TEST_MS);

  test("a policy that drops the SSH port is refused at plan time; nothing written", async () => {
    const sha = await fileSha();
    const f = writeInfra(dir, "lockout.ts", policy(`    f.allow({ tcp: 8080, from: "any" });\n    f.deny("all");`));
    const r = await run(["plan", f, "--nft-reload"]);
    expect(r.code).toBe(1);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.stderr).toMatch(/lockout\.ts:3: firewall \/etc\/nftables\.d\/hostkit\.nft: this ruleset would drop new SSH connections to port 22/);
    expect(r.stderr).toContain("--allow-lockout");
    expect(await fileSha()).toBe(sha);
  }, TEST_MS);

  test("with --allow-lockout: apply loads it, the second connection fails, apply exits non-zero, the host reverts by itself, SSH works again", async () => {
    const before = await rev();
    const f = writeInfra(dir, "lockout.ts", policy(`    f.allow({ tcp: 8080, from: "any" });\n    f.deny("all");`));
    const newRev = /rev ([0-9a-f]{16})/.exec((await hostkit(["render", f, "firewall", FILE])).stdout)![1];
    const r = await run(["apply", f, "--nft-reload", "--allow-lockout", "--confirm"]);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("open a new SSH connection under the new rules");
    expect(r.stderr).toContain("the host restores the previous firewall rules by itself within 30s");
    // The new rules were loaded (seen from inside, not over SSH) and SSH from the controller is dropped now.
    expect(await rev()).toBe(newRev);
    expect(await tcp(ip, 22)).toBe("dropped");
    // The armed timer restores the previous table without any help.
    await eventually(async () => (await rev()) === before, 45_000, "the host to restore the previous rules");
    expect(await tcp(ip, 22)).toBe("connected");
    const later = await run(["plan", writeInfra(dir, "seed.ts", policy(SEED)), "--nft-reload"]);
    expect({ code: later.code, stderr: later.stderr }).toEqual({ code: 0, stderr: "" });
    // The file still holds the refused rules: the plan puts the declared ones back.
    expect(later.stdout).toContain("~ firewall:/etc/nftables.d/hostkit.nft");
    const back = await run(["apply", join(dir, "seed.ts"), "--nft-reload", "--confirm"]);
    expect(back.code).toBe(0);
  }, TEST_MS);

  test("down --last restores the previous file and, applied with --nft-reload, the previous rules", async () => {
    const seedSha = await fileSha();
    const seedRev = await rev();
    const runs = join(dir, "runs");
    const f = writeInfra(dir, "open9101.ts", policy(`${SEED.replace('    f.deny("all");', "")}    f.allow({ tcp: 9101, from: "any" });\n    f.deny("all");`));
    const up = await run(["apply", f, "--nft-reload", "--confirm", "--track", "--runs-root", runs]);
    expect({ code: up.code, stderr: up.code ? up.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect(await tcp(ip, 9101)).toBe("connected");
    const downPlan = join(dir, "down.plan.json");
    const d = await run(["down", f, "--last", "--runs-root", runs, "--out", downPlan]);
    expect({ code: d.code, stderr: d.stderr }).toEqual({ code: 0, stderr: "" });
    expect(d.stdout).toContain("~ firewall:/etc/nftables.d/hostkit.nft");
    const apply = await run(["apply", "--plan", downPlan, "--runs-root", runs, "--nft-reload", "--confirm"]);
    expect(stackLines(apply.stderr)).toEqual([]);
    expect({ code: apply.code, stderr: apply.code ? apply.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect([await fileSha(), await rev()]).toEqual([seedSha, seedRev]);
    expect(await tcp(ip, 9101)).toBe("dropped");
  }, TEST_MS);
});
