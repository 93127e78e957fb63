/**
 * Site addresses, the keys of a Caddyfile site block: `example.com`, `*.example.com`,
 * `http://example.com`, `https://example.com:8443`, `:8080`, `http://:8080`, `127.0.0.1:8080`,
 * `[::1]:8080`, `localhost`. No path and nothing Caddy would read as a placeholder, a second token or
 * the start of a block: a hostile address is refused here and never reaches a file.
 */

export interface SiteAddress {
  /** Normalized text as rendered (host lowercased). */
  text: string;
  scheme?: "http" | "https";
  /** Domain (possibly `*.`-wildcard), IPv4, or bracketed IPv6; absent for `:port`. */
  host?: string;
  port?: number;
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DOMAIN = new RegExp(`^(\\*\\.)?${LABEL}(\\.${LABEL})*$`);
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parse one site address, or say exactly why it is not one. */
export function parseAddress(input: string): SiteAddress | { error: string } {
  const q = JSON.stringify(input);
  if (input === "") return { error: "the site address is empty" };
  const bad = /[^A-Za-z0-9.:\[\]*\/-]/.exec(input);
  if (bad) {
    const what = /\s/.test(bad[0]) ? "whitespace" : JSON.stringify(bad[0]);
    return { error: `site address ${q} contains ${what}, which a site address cannot hold (a domain, http://domain, :port or IP:port)` };
  }
  let rest = input;
  let scheme: SiteAddress["scheme"];
  const m = /^([a-z]+):\/\//i.exec(rest);
  if (m) {
    const s = m[1]!.toLowerCase();
    if (s !== "http" && s !== "https") return { error: `site address ${q}: scheme ${JSON.stringify(m[1])} is not http or https` };
    scheme = s;
    rest = rest.slice(m[0].length);
  }
  if (rest.includes("/")) return { error: `site address ${q} has a path; an address is a host and/or port (put path routing in raw directives)` };
  let host: string | undefined;
  let port: number | undefined;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const end = rest.indexOf("]");
    if (end < 0) return { error: `site address ${q} has an unclosed "["` };
    host = rest.slice(0, end + 1).toLowerCase();
    if (!/^\[[0-9a-f:.]+\]$/.test(host) || !host.includes(":")) return { error: `site address ${q}: ${host} is not an IPv6 address` };
    const after = rest.slice(end + 1);
    if (after !== "" && !after.startsWith(":")) return { error: `site address ${q} has text after the IPv6 address` };
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const parts = rest.split(":");
    if (parts.length > 2) return { error: `site address ${q}: write an IPv6 address in brackets, like [::1]:8080` };
    host = parts[0] === "" ? undefined : parts[0]!.toLowerCase();
    portText = parts.length === 2 ? parts[1] : undefined;
  }
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return { error: `site address ${q}: port ${JSON.stringify(portText)} is not 1–65535` };
    }
    port = Number(portText);
  }
  if (host !== undefined && !host.startsWith("[")) {
    if (host.includes("..") || host.startsWith(".") || host.endsWith(".")) return { error: `site address ${q} has an empty domain label (".." or a leading/trailing ".")` };
    if (!IPV4.test(host) && !DOMAIN.test(host)) {
      return { error: `site address ${q}: ${JSON.stringify(host)} is not a domain name (labels of letters, digits and -, optionally starting with "*.") or an IPv4 address` };
    }
    if (host.length > 253) return { error: `site address ${q}: the domain is longer than 253 characters` };
  }
  if (host === undefined && port === undefined) return { error: `site address ${q} has neither a host nor a port` };
  const text = `${scheme ? `${scheme}://` : ""}${host ?? ""}${port !== undefined ? `:${port}` : ""}`;
  return { text, ...(scheme ? { scheme } : {}), ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}) };
}
