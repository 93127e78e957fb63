/**
 * Network addresses: `"loopback"`, `"any"`, `[127, 0, 0, 1]`, `[10, 44, 0, 0, 24]` (CIDR as the fifth
 * number) and plain strings (`"10.0.0.0/8"`, `"::1"`, `"localhost"`).
 */

/**
 * A network address or range.
 * @example
 * on: "loopback"
 * allow: ["loopback", [10, 44, 0, 0, 24]]
 */
export type Address = "loopback" | "any" | "localhost" | string | readonly [number, number, number, number] | readonly [number, number, number, number, number];

/** Normalized form: `loopback`, `any`, or an IP / CIDR string. */
export function normalizeAddress(a: unknown): string | { error: string } {
  if (a === "loopback" || a === "localhost") return "loopback";
  if (a === "any" || a === "all") return "any";
  if (Array.isArray(a)) {
    if ((a.length !== 4 && a.length !== 5) || !a.every((n) => Number.isInteger(n) && n >= 0)) {
      return { error: `address ${JSON.stringify(a)} must be 4 octets, optionally followed by a prefix length` };
    }
    if (a.slice(0, 4).some((n: number) => n > 255)) return { error: `address ${JSON.stringify(a)} has an octet above 255` };
    if (a.length === 5 && a[4] > 32) return { error: `prefix length ${a[4]} is above 32` };
    const ip = a.slice(0, 4).join(".");
    return a.length === 5 ? `${ip}/${a[4]}` : ip;
  }
  if (typeof a === "string") {
    if (/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(a) && (a.includes(".") || a.includes(":"))) return a;
    return { error: `address ${JSON.stringify(a)} is not "loopback", "any", an IP, a CIDR or an octet array` };
  }
  return { error: `expected an address, got ${typeof a}` };
}

/** The address systemd's IPAddressAllow/Deny understand. */
export function systemdAddress(a: string): string {
  return a === "loopback" ? "localhost" : a;
}

/** The IP a listener on this address is reached at. */
export function connectHost(a: string): string {
  if (a === "loopback" || a === "any") return "127.0.0.1";
  return a.replace(/\/\d+$/, "");
}
