/** The policy model: what allow/deny/raw accept, and one clear error naming rule and key otherwise. */
import { describe, expect, test } from "bun:test";
import { HostKitError } from "../../src/model/errors.ts";
import { PolicyBuilder, mergePolicies, parseRaw, type MatchRule } from "../../src/firewall/policy.ts";
import { render } from "../../src/firewall/nftables.ts";

function errorOf(fn: () => unknown): HostKitError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HostKitError) return e;
    throw e;
  }
  throw new Error("expected a HostKitError");
}

describe("rule input", () => {
  test("the seed's forms: a port, a port list, the octet-array CIDR, deny all", () => {
    const p = new PolicyBuilder().allow({ tcp: 22, from: "any" }).allow({ tcp: [80, 443] }).allow({ tcp: 9100, from: [10, 44, 0, 0, 24] }).deny("all").policy();
    expect(p.default).toBe("drop");
    const [a, b, c] = p.rules as MatchRule[];
    expect(a!.tcp).toEqual([{ first: 22, last: 22 }]);
    expect(a!.from).toEqual([]);
    expect(b!.tcp).toEqual([{ first: 80, last: 80 }, { first: 443, last: 443 }]);
    expect(c!.from.map((s) => (s.kind === "cidr" ? s.cidr.text : s.kind))).toEqual(["10.44.0.0/24"]);
    expect(c!.label).toBe("firewall › allow #3");
  });

  test("udp, ranges as text, IPv6, lists of mixed addresses, aliases", () => {
    const p = new PolicyBuilder()
      .allow({ udp: "60000-61000", tcp: "22" })
      .allow({ tcp: 443, from: ["2001:db8::/32", [192, 0, 2, 1], "localhost", "10.0.0.0/8"] })
      .policy();
    const [a, b] = p.rules as MatchRule[];
    expect(a!.udp).toEqual([{ first: 60000, last: 61000 }]);
    expect(a!.tcp).toEqual([{ first: 22, last: 22 }]);
    expect(b!.from.map((s) => (s.kind === "cidr" ? `${s.cidr.family}:${s.cidr.text}` : s.kind))).toEqual([
      "ip6:2001:db8::/32",
      "ip:192.0.2.1",
      "loopback",
      "ip:10.0.0.0/8",
    ]);
  });

  test("no default declared stays undefined (renders as accept); allow('all') sets accept", () => {
    expect(new PolicyBuilder().allow({ tcp: 22 }).policy().default).toBeUndefined();
    expect(new PolicyBuilder().allow("all").policy().default).toBe("accept");
  });
});

describe("hostile and wrong input: one error naming the rule and the key", () => {
  const cases: [string, () => unknown, string][] = [
    ["port 0", () => new PolicyBuilder().allow({ tcp: 0 }), "firewall › allow #1 › tcp: port 0 is outside 1–65535"],
    ["port 70000", () => new PolicyBuilder().allow({ tcp: 22 }).allow({ udp: [53, 70000] }), "firewall › allow #2 › udp[1]: port 70000 is outside 1–65535"],
    ["a range past 65535", () => new PolicyBuilder().allow({ tcp: "65000-70000" }), "firewall › allow #1 › tcp: port range \"65000-70000\" must lie within 1–65535"],
    ["a backwards range", () => new PolicyBuilder().allow({ tcp: "90-80" }), "starts after it ends"],
    ["overlapping ports", () => new PolicyBuilder().allow({ tcp: [80, "70-90"] }), "firewall › allow #1 › tcp[1]: port \"70-90\" overlaps 80"],
    ["a fractional port", () => new PolicyBuilder().allow({ tcp: 22.5 }), "firewall › allow #1 › tcp: expected a port"],
    ["`;` in a port", () => new PolicyBuilder().allow({ tcp: "22; flush ruleset" as never }), "firewall › allow #1 › tcp: expected a port"],
    ["an address with a newline", () => new PolicyBuilder().allow({ tcp: 22, from: "10.0.0.1\naccept" }), "firewall › allow #1 › from: address \"10.0.0.1\\naccept\" contains a character"],
    ["`}` in an address in a list", () => new PolicyBuilder().allow({ tcp: 22, from: ["10.0.0.1", "10.0.0.2 } accept"] }), "firewall › allow #1 › from[1]: address"],
    ["`;` in an address", () => new PolicyBuilder().deny({ from: "10.0.0.1;" }), "firewall › deny #1 › from: address \"10.0.0.1;\" contains a character"],
    ["not an IP (shape only)", () => new PolicyBuilder().allow({ from: "1.2.3.4.5" }), "firewall › allow #1 › from: \"1.2.3.4.5\" is not an IPv4 or IPv6 address"],
    ["an octet above 255", () => new PolicyBuilder().allow({ from: [10, 300, 0, 1] }), "firewall › allow #1 › from: address [10,300,0,1] has an octet above 255"],
    ["an IPv6 prefix above 128", () => new PolicyBuilder().allow({ from: "2001:db8::/129" }), "prefix length outside 0–128"],
    ["an IPv4-mapped IPv6 address", () => new PolicyBuilder().allow({ from: "::ffff:10.0.0.5" }), "write \"10.0.0.5\""],
    ["any mixed with others", () => new PolicyBuilder().allow({ tcp: 22, from: ["any", "10.0.0.1"] }), "\"any\" cannot be combined"],
    ["`}` in a comment", () => new PolicyBuilder().allow({ tcp: 22, comment: "x } accept" }), "firewall › allow #1 › comment: comment \"x } accept\" may not contain"],
    ["a quote in a comment", () => new PolicyBuilder().allow({ tcp: 22, comment: 'a" accept' }), "› comment:"],
    ["a comment over 128 bytes", () => new PolicyBuilder().allow({ tcp: 22, comment: "x".repeat(129) }), "longer than nft's 128 bytes"],
    ["`;` in an interface", () => new PolicyBuilder().allow({ tcp: 22, interface: "eth0;" }), "firewall › allow #1 › interface: interface \"eth0;\" is not an interface name"],
    ["an unknown option", () => new PolicyBuilder().allow({ tcp: 22, port: 80 } as never), "firewall › allow #1 › port: unknown option"],
    ["an empty rule", () => new PolicyBuilder().allow({}), "a rule needs tcp, udp, from or interface"],
    ["not an object", () => new PolicyBuilder().allow(22 as never), "firewall › allow #1: expected \"all\" or rule options like { tcp: 22, from: \"any\" }"],
    ["a word that is not all", () => new PolicyBuilder().deny("everything" as never), "expected \"all\" or rule options"],
    ["two defaults that disagree", () => new PolicyBuilder().deny("all").allow("all"), "firewall › allow #2: the default policy is already \"drop\""],
    ["a raw rule with a newline", () => new PolicyBuilder().raw("accept\ntable ip x {}"), "firewall › raw #1 › raw: a raw rule must be one line"],
    ["a raw rule with `;`", () => new PolicyBuilder().raw("accept; flush ruleset"), "may not contain ; { }"],
    ["a raw rule with `}`", () => new PolicyBuilder().raw("accept } table ip evil { chain c"), "may not contain ; { }"],
    ["a raw include (reads a host file)", () => new PolicyBuilder().raw('include "/etc/shadow"'), "uses an nft file directive"],
    ["a raw define", () => new PolicyBuilder().raw("define x = 1"), "uses an nft file directive"],
    ["a raw non-string", () => parseRaw(42, { label: "firewall › raw #1" }), "expected one line of nft rule syntax, got number"],
  ];
  for (const [name, fn, expected] of cases) {
    test(name, () => {
      const e = errorOf(fn);
      expect(e.message).toContain(expected);
      expect(e.message.split("\n")).toHaveLength(1);
    });
  }

  test("the source location is part of the error when the DSL passes it", () => {
    const e = errorOf(() => new PolicyBuilder('host "prod" › firewall').allow({ tcp: 70000 }, { file: "infra.ts", line: 12 }));
    expect(e.message).toBe('infra.ts:12: host "prod" › firewall › allow #1 › tcp: port 70000 is outside 1–65535');
    expect(e.diagnostics[0]).toMatchObject({ subject: 'host "prod" › firewall › allow #1', key: "tcp", source: { file: "infra.ts", line: 12 } });
  });
});

describe("host policy refines the project's", () => {
  const project = new PolicyBuilder().allow({ tcp: 22 }).allow({ tcp: 443 }).deny("all").policy();
  test("host rules come after the project's; the host's default wins", () => {
    const host = new PolicyBuilder('host "dev" › firewall').allow({ tcp: 8080 }).allow("all").policy();
    const merged = mergePolicies(project, host);
    expect(merged.default).toBe("accept");
    expect(merged.rules.map((r) => r.label)).toEqual(["firewall › allow #1", "firewall › allow #2", 'host "dev" › firewall › allow #1']);
    expect(render(merged)).toContain("tcp dport 443 accept\n\t\ttcp dport 8080 accept\n");
  });
  test("a host without a default keeps the project's; no host policy = the project's", () => {
    const host = new PolicyBuilder('host "dev" › firewall').allow({ udp: 51820 }).policy();
    expect(mergePolicies(project, host).default).toBe("drop");
    expect(mergePolicies(project)).toEqual(project);
    expect(mergePolicies({ rules: [] }, { rules: [] }).default).toBeUndefined();
  });
});
