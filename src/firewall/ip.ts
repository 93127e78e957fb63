/**
 * Strict IP / CIDR parsing for firewall rules. `src/model/address.ts` only shape-checks a string (its
 * regex lets `1.2.3.4.5` or `:::` through); a firewall rule must be a real address before it reaches
 * the rendered file, and `lockoutCheck` needs numeric values to test CIDR membership.
 */
import { isIPv4, isIPv6 } from "node:net";

export type Family = "ip" | "ip6";

export interface Cidr {
  family: Family;
  /** As written (normalized only in prefix form), e.g. `10.44.0.0/24` or `2001:db8::1`. */
  text: string;
  /** Network bits as a number (IPv4 in the low 32 bits). */
  value: bigint;
  prefix: number;
}

/** Parse `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `v6/n`. Returns an error sentence on failure. */
export function parseCidr(text: string): Cidr | { error: string } {
  const slash = text.indexOf("/");
  const ip = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const family: Family | undefined = isIPv4(ip) ? "ip" : isIPv6(ip) && !ip.includes("%") ? "ip6" : undefined;
  if (!family) return { error: `${JSON.stringify(text)} is not an IPv4 or IPv6 address or CIDR` };
  const max = family === "ip" ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      return { error: `${JSON.stringify(text)} has a prefix length outside 0–${max}` };
    }
    prefix = Number(prefixText);
  }
  const value = family === "ip" ? v4(ip) : v6(ip);
  return { family, text, value, prefix };
}

/** Whether `addr` (a plain address, no prefix) lies inside `net`. */
export function contains(net: Cidr, addr: Cidr): boolean {
  if (net.family !== addr.family) return false;
  const bits = net.family === "ip" ? 32 : 128;
  const shift = BigInt(bits - net.prefix);
  return net.value >> shift === addr.value >> shift;
}

/** `::ffff:a.b.c.d` (how a dual-stack socket may report an IPv4 peer) → the IPv4 address. */
export function unmapV4(addr: Cidr): Cidr {
  if (addr.family === "ip6" && addr.prefix === 128 && addr.value >> 32n === 0xffffn) {
    const n = addr.value & 0xffffffffn;
    const text = [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join(".");
    return { family: "ip", text, value: n, prefix: 32 };
  }
  return addr;
}

function v4(ip: string): bigint {
  return ip.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function v6(ip: string): bigint {
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) becomes two hex groups first.
  const lastColon = ip.lastIndexOf(":");
  const tail = ip.slice(lastColon + 1);
  if (tail.includes(".")) {
    const n = v4(tail);
    ip = `${ip.slice(0, lastColon + 1)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = "", rest] = ip.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const r = rest ? rest.split(":") : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill("0"), ...r];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
