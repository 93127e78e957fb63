/**
 * The `firewall` kind without a live host: the DSL at project and host scope (merge, one resource per
 * host, file:line for every mistake), the runtime API, the example, and plan/apply/second plan on an
 * offline root through the compiled binary (nft -c runs on the controller in a user+net namespace).
 * The live behaviour (reload, lockout, revert, down) is test/integration/firewall.test.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/load.ts";
import { Firewall } from "../../src/index.ts";
import { firewall, type Firewall as FirewallRes, type FirewallFact } from "../../src/kinds/firewall.ts";
import { validate } from "../../src/firewall/validate.ts";
import { hk } from "../helpers/binary.ts";
import { stackLines, REPO } from "../helpers/cli.ts";
import { nsUnavailable } from "./netns.ts";

const dir = mkdtempSync(join(tmpdir(), "hostkit-fwkind-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function infra(body: string): string {
  const f = join(dir, `infra-${n++}.ts`);
  writeFileSync(f, `import { project } from "hostkit";\nexport default project("fw", (p) => {\n${body}\n});\n`);
  return f;
}
const SEED = `  p.firewall((f) => {
    f.allow({ tcp: 22, from: "any" });
    f.allow({ tcp: [80, 443], from: "any" });
    f.allow({ tcp: 9100, from: [10, 44, 0, 0, 24] });
    f.deny("all");
  });`;

describe("declarations", () => {
  test("no host refines the policy: one project-wide resource, at the line of p.firewall", async () => {
    const p = await load(infra(SEED));
    const fw = p.resources.filter((r) => r.type === "firewall");
    expect(fw.map((r) => ({ key: `${r.type}:${r.id}`, host: r.host, line: r.source.line }))).toEqual([{ key: "firewall:/etc/nftables.d/hostkit.nft", host: undefined, line: 3 }]);
  });

  test("a host refines the project's: each declared host gets one resource, host rules after the project's, its default wins", async () => {
    const p = await load(infra(`${SEED}
  p.host("a", { at: "10.0.0.1" }, (h) => h.firewall((f) => { f.allow({ udp: 53 }); f.allow("all"); }));
  p.host("b", { at: "10.0.0.2" });`));
    const pols = Firewall.policies(p);
    expect(pols.map((x) => x.host)).toEqual(["a", "b"]);
    const a = Firewall.nftables.render(pols[0]!.policy);
    const b = Firewall.nftables.render(pols[1]!.policy);
    expect(a).toContain("policy accept;");
    expect(a.indexOf("tcp dport 22 accept")).toBeLessThan(a.indexOf("udp dport 53 accept"));
    expect(b).toContain("policy drop;");
    expect(b).not.toContain("udp dport 53");
    expect(p.resources.find((r) => r.type === "firewall" && r.host === "a")!.source.line).toBe(9);
  });

  test("every mistake is a load-time error with file:line; nothing is rendered", async () => {
    const f = infra(`  p.firewall((f) => {
    f.allow({ tcp: 0 });
    f.allow({ tcp: 70000 });
    f.allow({ tcp: 22, from: "10.0.0.1\\n" });
    f.allow({ tcp: 22, comment: "x; flush ruleset" });
    f.raw("tcp dport 22 accept }");
    f.allow({ tcp: 22, from: "10.0.0.0/33" });
    f.allow({ tcp: 22, interface: "eth0\\"" });
  });
  p.firewall((f) => f.deny("all"));
  p.host("h", { at: "10.0.0.1" }, (h) => h.firewall((f) => f.allow({ udp: "9-3" })));`);
    const r = await hk(["render", f, "firewall", "/etc/nftables.d/hostkit.nft"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(stackLines(r.stderr)).toEqual([]);
    const lines = r.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
    const at = lines.map((l) => /infra-\d+\.ts:(\d+): .*? › (\w+ #\d+|firewall)( › \S+)?:/.exec(l)?.slice(1, 4).join(""));
    expect(at).toEqual(["4allow #1 › tcp", "5allow #2 › tcp", "6allow #3 › from", "7allow #4 › comment", "8raw #5 › raw", "9allow #6 › from", "10allow #7 › interface", "12firewall", "13allow #1 › udp"]);
  });
});

describe("plan-time checks (pure diff)", () => {
  const res = async (body: string) => (await load(infra(body))).resources.find((r) => r.type === "firewall") as FirewallRes;
  const fact = (over: Partial<FirewallFact> = {}): FirewallFact => ({
    file: { exists: false },
    table: { state: "absent" },
    conf: null,
    enabled: "disabled",
    check: { ok: true },
    ssh: { port: 22, peer: "192.0.2.9", seen: "$SSH_CONNECTION on the host" },
    flags: { nftReload: true, allowLockout: false, offline: false },
    ...over,
  });

  test("a ruleset that drops the current SSH port is refused, naming the rule and the way out", async () => {
    const r = await res(`  p.firewall((f) => { f.allow({ tcp: 22, from: [10, 0, 0, 0, 8] }); f.deny("all"); });`);
    expect(() => firewall.diff(r, fact())).toThrow(/would drop new SSH connections to port 22 .*from 192\.0\.2\.9; refused/);
    expect(() => firewall.diff(r, fact())).toThrow(/--allow-lockout/);
    const d = firewall.diff(r, fact({ flags: { nftReload: true, allowLockout: true, offline: false } }));
    expect(d.action).toBe("create");
    expect(d.reason).toContain("SSH port 22 will be dropped (--allow-lockout)");
    // From inside the allowed network the same policy is fine.
    expect(firewall.diff(r, fact({ ssh: { port: 22, peer: "10.1.2.3", seen: "x" } })).action).toBe("create");
  });

  test("nft's own rejection stops the plan with its message, pointing at the rule", async () => {
    const r = await res(`  p.firewall((f) => f.raw("tcp dport 1 frob"));`);
    expect(() => firewall.diff(r, fact({ check: { ok: false, message: "/etc/nftables.d/hostkit.nft:14:20-23: Error: syntax error  [x › raw #1]" } }))).toThrow(/nft -c rejected the ruleset; nothing was written:\n.*syntax error/);
  });

  test("without --nft-reload nothing is loaded; a loaded table of another revision is said, not reloaded", async () => {
    const r = await res(SEED);
    const content = r.content;
    const same = { exists: true, fileType: "regular file", sha256: new Bun.CryptoHasher("sha256").update(content).digest("hex"), mode: 0o644, owner: "root", group: "root" };
    const conf = 'include "/etc/nftables.d/*.nft"\n';
    const d = firewall.diff(r, fact({ file: same, conf, enabled: "enabled", table: { state: "present", rev: "0000000000000000" }, flags: { nftReload: false, allowLockout: false, offline: false } }));
    expect(d.action).toBe("noop");
    expect(d.reason).toContain("loaded only with --nft-reload");
    const loaded = firewall.diff(r, fact({ file: same, conf, enabled: "enabled", table: { state: "present", rev: /rev ([0-9a-f]{16})/.exec(content)![1] } }));
    expect(loaded).toMatchObject({ action: "noop", reason: "firewall matches" });
  });

  test("over SSH the load is armed with a revert, checked by a new connection, then disarmed", async () => {
    const r = await res(SEED);
    const d = firewall.diff(r, fact());
    const ops = firewall.ops({ key: "k", type: "firewall", id: r.id, action: d.action, reason: d.reason, after: d.after!, before: d.before!, resource: r }, { ssh: { port: 22 } });
    const labels = ops.map((o) => (o.reconnect ? "reconnect" : o.argv.slice(0, 2).join(" ")));
    expect(labels).toEqual(["/usr/sbin/nft -c", "sh -c", "sh -c", "systemctl enable", "sh -c", "/usr/sbin/nft -c", "systemd-run --unit=hostkit-fw-revert-" + /rev ([0-9a-f]{16})/.exec(r.content)![1], "/usr/sbin/nft -f", "reconnect", "systemctl stop", "rm -f"]);
    expect(ops[0]!.label).toContain("nft -c (before anything is written)");
    expect(ops[8]!.reconnect!.timeoutMs).toBeLessThan(30_000);
  });
});

describe("down", () => {
  const res = async () => (await load(infra(SEED))).resources.find((r) => r.type === "firewall") as FirewallRes;
  const change = (r: FirewallRes, action: "create" | "update", before: Record<string, unknown>, reload: boolean) => ({ key: `firewall:${r.id}`, type: "firewall", id: r.id, action, reason: "", before, after: { exists: true, sha256: "new", rev: "0123456789abcdef", reload }, resource: r });

  test("an update is reversed by the previous file, loaded again when the up change loaded", async () => {
    const r = await res();
    const inv = firewall.down.invert(change(r, "update", { exists: true, sha256: "old", content: "table inet hostkit\n" }, true), { backups: {}, warnings: [] });
    expect(inv.change).toMatchObject({ action: "update", after: { sha256: "old", reload: true }, resource: { content: "table inet hostkit\n" } });
    expect((inv.change!.resource as FirewallRes).policy).toBeUndefined();
    const ops = firewall.ops(inv.change! as never, { ssh: { port: 22 } });
    expect(ops.some((o) => o.reconnect)).toBe(true);
    expect(ops.map((o) => o.label)).toContain("write /etc/nftables.d/hostkit.nft");
  });

  test("a create is reversed by removing the file and, when loaded, HostKit's table (armed like any load)", async () => {
    const r = await res();
    const inv = firewall.down.invert(change(r, "create", { exists: false, table: { state: "absent" } }, true), { backups: {}, warnings: [] });
    expect(inv.change).toMatchObject({ action: "delete", after: { exists: false, reload: true } });
    const ops = firewall.ops(inv.change! as never, { ssh: { port: 22 } });
    expect(ops[0]!.label).toBe("remove /etc/nftables.d/hostkit.nft");
    expect(ops[1]!.stdin).toEqual({ text: "table inet hostkit\ndelete table inet hostkit\n" });
    expect(ops.some((o) => o.reconnect)).toBe(true);
    // Not loaded by the up change: only the file goes.
    const quiet = firewall.down.invert(change(r, "create", { exists: false }, false), { backups: {}, warnings: [] });
    expect(firewall.ops(quiet.change! as never, { ssh: { port: 22 } }).map((o) => o.label)).toEqual(["remove /etc/nftables.d/hostkit.nft"]);
  });
});

describe.skipIf(nsUnavailable !== undefined)("offline root through the compiled binary", () => {
  test("plan shows the file and the include; apply writes both; the second plan has zero changes", async () => {
    const f = infra(SEED);
    const root = mkdtempSync(join(dir, "root-"));
    const plan = await hk(["plan", f, "--root", root]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("+ firewall:/etc/nftables.d/hostkit.nft");
    expect(plan.stdout).toContain('/etc/nftables.conf: include "/etc/nftables.d/*.nft"');
    const apply = await hk(["apply", f, "--root", root, "--confirm"]);
    expect(apply.code).toBe(0);
    const rendered = (await hk(["render", f, "firewall", "/etc/nftables.d/hostkit.nft"])).stdout;
    expect(readFileSync(join(root, "etc/nftables.d/hostkit.nft"), "utf8")).toBe(rendered);
    expect(readFileSync(join(root, "etc/nftables.conf"), "utf8")).toContain('include "/etc/nftables.d/*.nft"');
    const again = await hk(["plan", f, "--root", root, "--detailed-exitcode"]);
    expect({ code: again.code, out: again.stdout.includes("No changes.") }).toEqual({ code: 0, out: true });
  });

  test("a raw rule nft rejects fails at plan time with nft's message; apply writes nothing", async () => {
    const f = infra(`  p.firewall((f) => { f.allow({ tcp: 22, from: "any" }); f.raw("tcp dport 2222 frobnicate"); f.deny("all"); });`);
    const root = mkdtempSync(join(dir, "root-"));
    const r = await hk(["apply", f, "--root", root, "--confirm"]);
    expect(r.code).toBe(1);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.stderr).toContain("nft -c rejected the ruleset; nothing was written");
    expect(r.stderr).toMatch(/\/etc\/nftables\.d\/hostkit\.nft:\d+:\d+-\d+: Error: syntax error.*\[project "fw" › firewall › raw #2\]/);
    expect(existsSync(join(root, "etc/nftables.d"))).toBe(false);
  });
});

describe.skipIf(nsUnavailable !== undefined)("the example", () => {
  test("examples/firewall.ts: every host's policy renders to a file nft -c accepts (controller, user+net namespace)", async () => {
    const p = await load(join(REPO, "examples/firewall.ts"));
    const pols = Firewall.policies(p);
    expect(pols.length).toBeGreaterThan(0);
    for (const { host, policy } of pols) expect({ host, res: await validate(Firewall.nftables.render(policy)) }).toEqual({ host, res: { ok: true } });
  });
});
