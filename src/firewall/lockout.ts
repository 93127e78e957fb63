/**
 * Would this policy drop a NEW SSH connection? The current connection survives a reload (the chain
 * accepts `ct state established`), so the danger is the next one: apply's verification connection,
 * and every later login. Pure: walks the input chain the way nft would for one TCP SYN to `sshPort`
 * from `peer` and returns the first verdict it can be sure of.
 *
 * `peer` is the controller's address as the HOST sees it (first field of `$SSH_CONNECTION` there);
 * without it, a rule restricted by source is only a "maybe". A raw rule or an interface match is
 * always a "maybe" (HostKit cannot evaluate them), so a sure verdict behind one becomes "unknown".
 */
import { contains, parseCidr, unmapV4, type Cidr } from "./ip.ts";
import type { MatchRule, Policy, Verdict } from "./policy.ts";

export interface LockoutResult {
  /** `drop`: the port is closed to this peer (refuse unless --allow-lockout); `unknown`: cannot tell. */
  verdict: Verdict | "unknown";
  /** The rule that decided (absent when the chain policy decided or nothing was sure). */
  rule?: string;
  /** One sentence for the plan. */
  reason: string;
}

type Match = "yes" | "no" | "maybe";

export function lockoutCheck(policy: Policy, sshPort: number, peerAddress?: string): LockoutResult {
  if (!Number.isInteger(sshPort) || sshPort < 1 || sshPort > 65535) throw new TypeError(`SSH port ${sshPort} is not 1–65535`);
  let peer: Cidr | undefined;
  if (peerAddress !== undefined) {
    const p = parseCidr(peerAddress);
    if ("error" in p || p.prefix !== (p.family === "ip" ? 32 : 128)) throw new TypeError(`peer address ${JSON.stringify(peerAddress)} is not one IP address`);
    peer = unmapV4(p);
  }
  const from = peer ? ` from ${peer.text}` : "";
  // Loopback is accepted before any policy rule (`iif "lo" accept`).
  if (peer && isLoopback(peer)) return { verdict: "accept", reason: `loopback traffic is always accepted` };
  const maybes: { label: string; verdict: Verdict }[] = [];
  for (const rule of policy.rules) {
    const m: Match = rule.kind === "raw" ? "maybe" : matches(rule, sshPort, peer);
    const verdict: Verdict | undefined = rule.kind === "raw" ? undefined : rule.verdict;
    if (m === "no") continue;
    if (m === "maybe") {
      // A raw rule might accept or drop; count it against whichever verdict we reach.
      maybes.push({ label: rule.label, verdict: verdict ?? "accept" });
      if (verdict === undefined) maybes.push({ label: rule.label, verdict: "drop" });
      continue;
    }
    return decide(verdict!, rule.label, maybes, `${rule.label} ${verdict === "accept" ? "accepts" : "drops"} tcp ${sshPort}${from}`);
  }
  const def = policy.default ?? "accept";
  return decide(def, undefined, maybes, `the default policy ${def === "accept" ? "accepts" : "drops"} tcp ${sshPort}${from}`);
}

function decide(verdict: Verdict, rule: string | undefined, maybes: { label: string; verdict: Verdict }[], reason: string): LockoutResult {
  const other = maybes.find((m) => m.verdict !== verdict);
  if (other) {
    return { verdict: "unknown", reason: `${other.label} may ${other.verdict === "accept" ? "accept" : "drop"} it first (its match cannot be evaluated here); otherwise ${reason}` };
  }
  return rule ? { verdict, rule, reason } : { verdict, reason };
}

function matches(rule: MatchRule, port: number, peer: Cidr | undefined): Match {
  // Protocol/port: a rule naming only udp never matches a TCP SYN; one naming no protocol matches all.
  if (rule.tcp || rule.udp) {
    if (!rule.tcp || !rule.tcp.some((r) => r.first <= port && port <= r.last)) return "no";
  }
  let result: Match = "yes";
  if (rule.from.length > 0) {
    if (!peer) result = "maybe";
    else {
      const hit = rule.from.some((s) => (s.kind === "loopback" ? isLoopback(peer) : contains(s.cidr, peer)));
      if (!hit) return "no";
    }
  }
  if (rule.iface !== undefined) result = "maybe";
  return result;
}

function isLoopback(a: Cidr): boolean {
  return a.family === "ip" ? a.value >> 24n === 127n : a.value === 1n;
}
