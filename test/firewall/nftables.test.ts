/** Rendering: exact output, determinism, every example accepted by `nft -c`, idempotent beside a foreign table. */
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { DEFAULT_PATH, render, renderWithMap } from "../../src/firewall/nftables.ts";
import { PolicyBuilder } from "../../src/firewall/policy.ts";
import { checkArgv, validate } from "../../src/firewall/validate.ts";
import { build, examples } from "../fixtures/firewall/index.ts";
import rawBad from "../fixtures/firewall/raw-bad.ts";
import { inNetns, nsUnavailable, tempFile } from "./netns.ts";

const SEED = `#!/usr/sbin/nft -f
# Managed by HostKit. Replaces only table inet hostkit; every other table is untouched.
# Local edits are replaced on the next apply.

table inet hostkit
delete table inet hostkit
table inet hostkit {
	comment "managed by hostkit; do not edit; rev REV"
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		ct state established,related accept
		ct state invalid drop
		meta l4proto { icmp, icmpv6 } accept
		tcp dport 22 accept
		tcp dport { 80, 443 } accept
		ip saddr 10.44.0.0/24 tcp dport 9100 accept
	}
}
`;

describe("render", () => {
  test("the seed's policy renders exactly the replace-only-my-table file", () => {
    const text = render(examples.seed!);
    expect(text).toBe(SEED.replace("REV", /rev ([0-9a-f]{16})"/.exec(text)?.[1] ?? "missing"));
  });

  test("deterministic: the same policy built twice gives the same bytes", () => {
    for (const [name, p] of Object.entries(examples)) expect(render(p), name).toBe(render(structuredClone(p)));
  });

  test("one line per family × protocol; the default comes from deny/allow all", () => {
    const p = new PolicyBuilder().allow({ tcp: 22, udp: ["60000-61000", 53], from: ["10.0.0.0/8", "2001:db8::/32", "loopback"], interface: "eth0", comment: "c" }).policy();
    const body = render(p).split("\n").filter((l) => l.startsWith("\t\t") && !l.includes("ct state") && !l.includes("icmp") && !l.includes("type filter") && l !== '\t\tiif "lo" accept');
    expect(body).toEqual([
      '\t\tiifname "eth0" iif "lo" tcp dport 22 accept comment "c"',
      '\t\tiifname "eth0" iif "lo" udp dport { 60000-61000, 53 } accept comment "c"',
      '\t\tiifname "eth0" ip saddr 10.0.0.0/8 tcp dport 22 accept comment "c"',
      '\t\tiifname "eth0" ip saddr 10.0.0.0/8 udp dport { 60000-61000, 53 } accept comment "c"',
      '\t\tiifname "eth0" ip6 saddr 2001:db8::/32 tcp dport 22 accept comment "c"',
      '\t\tiifname "eth0" ip6 saddr 2001:db8::/32 udp dport { 60000-61000, 53 } accept comment "c"',
    ]);
    expect(render(p)).toContain("policy accept;");
  });

  test("the line map names the rule behind each rendered rule line", () => {
    const { text, lines } = renderWithMap(examples.seed!);
    const rows = text.split("\n");
    expect([...lines].map(([n, label]) => [rows[n - 1]!.trim(), label])).toEqual([
      ["tcp dport 22 accept", "firewall › allow #1"],
      ["tcp dport { 80, 443 } accept", "firewall › allow #2"],
      ["ip saddr 10.44.0.0/24 tcp dport 9100 accept", "firewall › allow #3"],
    ]);
  });
});

describe.skipIf(nsUnavailable !== undefined)("nft itself (unshare -rn, unprivileged)", () => {
  for (const [name, policy] of Object.entries(examples)) {
    test(`example "${name}" passes nft -c -f`, async () => {
      const res = await validate(render(policy));
      expect(res).toEqual({ ok: true });
    });
  }

  test("the validate helper runs nft -c -f on a temp file in a namespace (argv)", () => {
    expect(checkArgv("/tmp/x/hostkit.nft")).toEqual(["unshare", "--user", "--map-root-user", "--net", "nft", "-c", "-f", "/tmp/x/hostkit.nft"]);
    expect(checkArgv("/tmp/x/hostkit.nft", { namespace: false })).toEqual(["nft", "-c", "-f", "/tmp/x/hostkit.nft"]);
  });

  test("a raw rule nft rejects fails validation with nft's own message, pointed at the rule", async () => {
    const { text, lines } = renderWithMap(build(rawBad));
    const res = await validate(text, { lines });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    const lineNo = text.split("\n").indexOf("\t\ttcp dport 2222 frobnicate") + 1;
    const first = res.message.split("\n")[0]!;
    expect(first).toMatch(new RegExp(`^${DEFAULT_PATH}:${lineNo}:\\d+-\\d+: Error: syntax error, unexpected newline  \\[firewall › raw #2\\]$`));
    expect(res.message).toContain("tcp dport 2222 frobnicate");
    expect(res.message).not.toContain("hostkit-nft-"); // the temp path is not shown
  });

  test("applied TWICE beside a foreign table: the foreign table is unchanged, hostkit's exists exactly once", () => {
    const file = tempFile(render(examples.seed!), "hostkit.nft");
    const foreign = tempFile(
      "table inet other {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 8080 counter accept\n\t}\n}\n",
      "other.nft",
    );
    const r = inNetns(`nft -f ${foreign}; nft list table inet other; echo ===; nft -f ${file}; nft -f ${file}; nft list table inet other; echo ===; nft list ruleset`);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [before, after, ruleset] = r.stdout.split("===\n") as [string, string, string];
    expect(before).toContain("tcp dport 8080 counter packets 0 bytes 0 accept");
    expect(after).toBe(before);
    expect(ruleset.match(/^table inet hostkit \{$/gm)).toHaveLength(1);
    expect(ruleset.match(/^table inet other \{$/gm)).toHaveLength(1);
    expect(ruleset.match(/tcp dport 22 accept/g)).toHaveLength(1);
    expect(ruleset).toContain("ip saddr 10.44.0.0/24 tcp dport 9100 accept");
  });

  test("re-applying a different policy replaces the table (no stale chains or rules), still beside the foreign one", () => {
    const v1 = tempFile(render(examples["ranges, udp, interface, raw"]!), "v1.nft");
    const v2 = tempFile(render(examples.seed!), "v2.nft");
    const r = inNetns(`nft add table ip other; nft -f ${v1}; nft -f ${v2}; nft list ruleset`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("table ip other {");
    expect(r.stdout).not.toContain("mosh");
    expect(r.stdout).not.toContain("60000-61000");
    expect(r.stdout).toContain("policy drop;");
  });

  test("a file nft rejects leaves the loaded table as it was (nft -f is atomic)", () => {
    const good = tempFile(render(examples.seed!), "good.nft");
    const bad = tempFile(renderWithMap(build(rawBad)).text, "bad.nft");
    const r = inNetns(`nft -f ${good}; nft list table inet hostkit > /dev/null; a=$(nft list table inet hostkit); nft -f ${bad} 2>/dev/null && exit 9; b=$(nft list table inet hostkit); [ "$a" = "$b" ] && echo same`);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("same");
  });
});

const asRootWithRunuser = process.getuid?.() === 0 && Bun.which("runuser") !== null;
if (!asRootWithRunuser) console.warn("SKIP 'as nobody' nft check: needs root (to drop to nobody) and runuser");
describe.skipIf(nsUnavailable !== undefined || !asRootWithRunuser)("unprivileged for real", () => {
  test("as nobody: plain nft -c is refused, the same check in a user+net namespace passes", () => {
    const dir = mkdtempSync("/tmp/hostkit-fw-nobody-");
    chmodSync(dir, 0o755);
    const file = `${dir}/hostkit.nft`;
    writeFileSync(file, render(examples.seed!), { mode: 0o644 });
    try {
      const plain = Bun.spawnSync(["runuser", "-u", "nobody", "--", "nft", "-c", "-f", file], { stderr: "pipe" });
      expect(plain.exitCode).toBe(1);
      expect(plain.stderr.toString()).toContain("Operation not permitted");
      const ns = Bun.spawnSync(["runuser", "-u", "nobody", "--", ...checkArgv(file)], { stderr: "pipe" });
      expect(ns.stderr.toString()).toBe("");
      expect(ns.exitCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
