/** lockoutCheck: would a NEW SSH connection to this port, from this peer, be dropped? */
import { describe, expect, test } from "bun:test";
import { lockoutCheck } from "../../src/firewall/nftables.ts";
import { PolicyBuilder, type RuleOptions } from "../../src/firewall/policy.ts";
import { examples } from "../fixtures/firewall/index.ts";

const pol = (body: (f: PolicyBuilder) => void) => {
  const f = new PolicyBuilder();
  body(f);
  return f.policy();
};
const denyAllWith = (...rules: RuleOptions[]) => pol((f) => { for (const r of rules) f.allow(r); f.deny("all"); });

describe("lockoutCheck", () => {
  test("the seed's policy keeps port 22 open and names the rule", () => {
    expect(lockoutCheck(examples.seed!, 22, "203.0.113.9")).toEqual({ verdict: "accept", rule: "firewall › allow #1", reason: "firewall › allow #1 accepts tcp 22 from 203.0.113.9" });
  });

  test("SSH on another port than the policy allows: dropped by the default", () => {
    expect(lockoutCheck(examples.seed!, 2222, "203.0.113.9")).toEqual({ verdict: "drop", reason: "the default policy drops tcp 2222 from 203.0.113.9" });
  });

  test("no deny: the default accepts", () => {
    expect(lockoutCheck(pol((f) => f.allow({ tcp: 80 })), 22).verdict).toBe("accept");
  });

  test("a deny rule on the SSH port before the allow wins", () => {
    const p = pol((f) => f.deny({ tcp: 22 }).allow({ tcp: 22 }));
    expect(lockoutCheck(p, 22, "10.0.0.1")).toMatchObject({ verdict: "drop", rule: "firewall › deny #1" });
  });

  test("source restrictions: inside the CIDR is accepted, outside is dropped, unknown peer is unknown", () => {
    const p = denyAllWith({ tcp: 22, from: [10, 44, 0, 0, 24] });
    expect(lockoutCheck(p, 22, "10.44.0.77").verdict).toBe("accept");
    expect(lockoutCheck(p, 22, "10.45.0.1").verdict).toBe("drop");
    const u = lockoutCheck(p, 22);
    expect(u.verdict).toBe("unknown");
    expect(u.reason).toContain("firewall › allow #1 may accept it first");
  });

  test("IPv6 peers and CIDRs; an IPv4-mapped peer counts as IPv4", () => {
    const p = denyAllWith({ tcp: 22, from: "2001:db8::/32" }, { tcp: 22, from: "192.0.2.0/24" });
    expect(lockoutCheck(p, 22, "2001:db8:0:1::5").verdict).toBe("accept");
    expect(lockoutCheck(p, 22, "2001:db9::5").verdict).toBe("drop");
    expect(lockoutCheck(p, 22, "::ffff:192.0.2.10")).toMatchObject({ verdict: "accept", rule: "firewall › allow #2" });
    expect(lockoutCheck(p, 22, "::ffff:198.51.100.1").verdict).toBe("drop");
  });

  test("port ranges and protocol: a udp-only rule does not open tcp", () => {
    expect(lockoutCheck(denyAllWith({ tcp: "2000-3000" }), 2222).verdict).toBe("accept");
    expect(lockoutCheck(denyAllWith({ udp: 22 }), 22).verdict).toBe("drop");
    expect(lockoutCheck(denyAllWith({ tcp: 80, udp: 22 }), 22).verdict).toBe("drop");
    expect(lockoutCheck(denyAllWith({ from: "10.0.0.0/8" }), 22, "10.1.2.3").verdict).toBe("accept");
  });

  test("a loopback peer is always accepted (iif lo comes first)", () => {
    const p = pol((f) => f.deny("all"));
    expect(lockoutCheck(p, 22, "127.0.0.1").verdict).toBe("accept");
    expect(lockoutCheck(p, 22, "::1").verdict).toBe("accept");
    expect(lockoutCheck(p, 22, "10.0.0.1").verdict).toBe("drop");
  });

  test("raw rules and interface matches cannot be evaluated: a sure verdict behind them is unknown", () => {
    const raw = pol((f) => f.raw("ip saddr 192.0.2.7 drop").allow({ tcp: 22 }).deny("all"));
    expect(lockoutCheck(raw, 22, "10.0.0.1")).toMatchObject({ verdict: "unknown" });
    expect(lockoutCheck(raw, 22, "10.0.0.1").reason).toContain("firewall › raw #1 may drop it first");
    const iface = denyAllWith({ tcp: 22, interface: "eth0" });
    expect(lockoutCheck(iface, 22, "10.0.0.1").verdict).toBe("unknown");
    // A maybe that agrees with the final verdict changes nothing.
    expect(lockoutCheck(pol((f) => f.allow({ tcp: 22, interface: "eth0" }).allow({ tcp: 22 })), 22, "10.0.0.1").verdict).toBe("accept");
  });

  test("host policy merged over the project's: a host deny-all without the SSH port is caught", () => {
    expect(lockoutCheck(examples["seed project + host prod"]!, 22, "198.51.100.1").verdict).toBe("accept");
    expect(lockoutCheck(examples["seed project + host prod"]!, 2201, "198.51.100.1").verdict).toBe("drop");
  });

  test("bad arguments are programming errors", () => {
    expect(() => lockoutCheck(examples.seed!, 0)).toThrow("SSH port 0 is not 1–65535");
    expect(() => lockoutCheck(examples.seed!, 22, "10.0.0.0/8")).toThrow("is not one IP address");
    expect(() => lockoutCheck(examples.seed!, 22, "10.0.0.1\n")).toThrow("is not one IP address");
  });
});
