/**
 * The Caddy site model: what `caddy.site("example.com", { … })` declares, checked before anything is
 * rendered. Every value that reaches a site file is validated here, so the renderer only has to
 * quote: an address is a domain, an IP, `:port` or `http(s)://` plus those; a path is a plain file
 * name; a header value holds no brace (Caddy expands `{$ENV}` while adapting), backslash or control
 * character; a raw directive cannot leave its line or the site's block.
 *
 * Independent of the kind/provider contract (issue 9): the provider calls `parseSite` with the
 * declaration's location, and `renderSite` (caddyfile.ts) with the service's listener map.
 */
import * as v from "valibot";
import { issuePath } from "../dsl/validate.ts";
import { HostKitError } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";
import { checkRaw } from "./raw.ts";
import { parseAddress, type SiteAddress } from "./address.ts";

export type { SiteAddress } from "./address.ts";

/** Compression formats Caddy 2.6 knows (`encode zstd gzip`). */
export type Encoding = "zstd" | "gzip";
/** How bad a failed check is, for the monitoring service that runs it. */
export type Severity = "critical" | "warning" | "info";

/** What `caddy.site(address, options)` takes. */
export interface SiteOptions {
  /**
   * File name of this site under the provider's sites dir; must end in `.caddy` (the main Caddyfile
   * imports `<sitesDir>/*.caddy`). Default: the address, e.g. `example.com.caddy`, `port-8080.caddy`.
   * @example path: "web.caddy"
   */
  path?: string;
  /**
   * More addresses served by the same site block (same forms as the site's own address).
   * @example aliases: ["www.example.com", "http://example.net"]
   */
  aliases?: string[];
  /**
   * Proxy every request to a listener declared on this service's daemon (rendered as its
   * `host:port`, e.g. `127.0.0.1:4000`), or to explicit upstreams.
   * @example reverseProxy: "http"            // daemon({ listen: { http: { port: 4000 } } })
   * @example reverseProxy: { to: ["127.0.0.1:9000"] }
   */
  reverseProxy?: string | { to: string | string[] };
  /**
   * Compress responses; formats in order of preference (`true`: Caddy's default, zstd and gzip).
   * @example encode: ["zstd", "gzip"]
   */
  encode?: Encoding[] | true;
  /**
   * Certificates: `"internal"` (Caddy's own local CA — for hosts no public CA can reach), an email
   * for the ACME account, or `"off"` (serve plain HTTP: every address is rendered as `http://…`).
   * Default: Caddy's automatic HTTPS for domain addresses.
   * @example tls: "internal"
   * @example tls: "ops@example.com"
   */
  tls?: "internal" | "off" | (string & {});
  /**
   * Response headers to set; `null` removes the header. Values may not contain `{`, `}`, `\` or
   * control characters.
   * @example headers: { "Strict-Transport-Security": "max-age=31536000", Server: null }
   */
  headers?: Record<string, string | null>;
  /**
   * Serve files from this directory (with `fileServer: true`).
   * @example root: "/srv/www/site"
   */
  root?: string;
  /**
   * Serve static files from `root`.
   * @example fileServer: true
   */
  fileServer?: boolean;
  /**
   * Escape hatch: Caddyfile directive lines placed as written inside the site block, one line per
   * array element; a block may span elements (`"handle /api/* {"`, `"respond 404"`, `"}"`). Checked
   * so they cannot leave the site block; Caddy's own validation judges the rest.
   * @example raw: ["skip_log /health", "respond /health 200"]
   */
  raw?: string | string[];
  /**
   * Monitoring intent, recorded for the monitoring service (nothing here runs a check).
   * @example monitor: { http: { url: "https://example.com/health", expect: { status: 200 } }, severity: "critical" }
   */
  monitor?: MonitorOptions;
  /**
   * Access log collection: `"access"` (default) writes a JSON access log to
   * `<logDir>/<name>.access.log` for a collector to read; `false` writes none.
   * @example logs: false
   */
  logs?: "access" | false;
  /**
   * Metrics collection intent: `"http"` (default) means Caddy's HTTP metrics (admin `/metrics`).
   * @example metrics: false
   */
  metrics?: "http" | false;
}

export interface MonitorOptions {
  /**
   * An HTTP check.
   * @example http: { url: "https://example.com/health", expect: { status: 200 } }
   */
  http?: HttpCheckOptions;
  /**
   * How bad a failure is. Default "warning".
   * @example severity: "critical"
   */
  severity?: Severity;
}

export interface HttpCheckOptions {
  /**
   * What to request. Default: the site's first address (`https://` unless tls is "off"; a `:port`
   * address is requested on 127.0.0.1).
   * @example url: "https://example.com/health"
   */
  url?: string;
  /**
   * The expected response. Default `{ status: 200 }`.
   * @example expect: { status: 204 }
   */
  expect?: { status?: number };
}

/** The parsed, normalized site: everything the renderer and the monitoring service need. */
export interface CaddySite {
  /** The declared address, as the resource id. */
  id: string;
  /** The site block's addresses, in order (the id first). */
  addresses: SiteAddress[];
  /** File name under the sites dir. */
  path: string;
  upstream?: { listener: string } | { to: string[] };
  encode?: Encoding[];
  tls?: { mode: "internal" } | { mode: "email"; email: string } | { mode: "off" };
  headers: { name: string; value: string | null }[];
  root?: string;
  fileServer: boolean;
  raw: string[];
  monitor?: { http?: { url: string; status: number }; severity: Severity };
  telemetry: { logs: "access" | false; metrics: "http" | false };
}

/** What errors name: the declaration (default `caddy_site "<address>"`) and where it was written. */
export interface SiteContext {
  subject?: string;
  source?: SourceLoc;
}

const ENCODINGS = ["zstd", "gzip"] as const;
const str = (what: string) => v.string(`expected ${what}`);

/** Shape of the options (values are checked further by `parseSite`). Exported for `hostkit schema`. */
export const SiteOptionsSchema = v.strictObject({
  path: v.optional(str("a file name like \"web.caddy\"")),
  aliases: v.optional(v.array(str("an address"), "expected a list of addresses")),
  reverseProxy: v.optional(v.union([v.string(), v.strictObject({ to: v.union([v.string(), v.array(v.string())]) })], 'expected a listener name like "http" or { to: ["127.0.0.1:9000"] }')),
  encode: v.optional(v.union([v.literal(true), v.pipe(v.array(v.picklist(ENCODINGS, 'expected "zstd" or "gzip"')), v.minLength(1, "expected at least one format"))], 'expected true or a list of "zstd" and/or "gzip", like ["zstd", "gzip"]')),
  tls: v.optional(str('"internal", "off" or an email address')),
  headers: v.optional(v.record(v.string(), v.nullable(str("a header value (or null to remove it)")))),
  root: v.optional(str("an absolute directory path")),
  fileServer: v.optional(v.boolean("expected true or false")),
  raw: v.optional(v.union([v.string(), v.array(v.string())], "expected a directive line or a list of lines")),
  monitor: v.optional(
    v.strictObject({
      http: v.optional(v.strictObject({ url: v.optional(str("a URL")), expect: v.optional(v.strictObject({ status: v.optional(v.number("expected an HTTP status")) })) })),
      severity: v.optional(v.picklist(["critical", "warning", "info"], 'expected "critical", "warning" or "info"')),
    }),
  ),
  logs: v.optional(v.union([v.literal("access"), v.literal(false)], 'expected "access" or false')),
  metrics: v.optional(v.union([v.literal("http"), v.literal(false)], 'expected "http" or false')),
});

// compile-time check that the documented type and the schema agree
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type _SiteOptionsAgree = Assert<Same<v.InferInput<typeof SiteOptionsSchema>, SiteOptions>>;
type Assert<T extends true> = T;

const KEYS = "path, aliases, reverseProxy, encode, tls, headers, root, fileServer, raw, monitor, logs, metrics";

export function siteSubject(address: string): string {
  return `caddy_site ${JSON.stringify(address)}`;
}

/** Throws the one diagnostic for this site and key. */
export function siteError(address: string, ctx: SiteContext, key: string | undefined, message: string): never {
  throw new HostKitError({ subject: ctx.subject ?? siteSubject(address), key, source: ctx.source, message });
}

/** A plain file name, ending in `.caddy`, not hidden (Caddy's `*` glob skips hidden files). */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,120}\.caddy$/;
/** An absolute path of plain segments: nothing Caddy would split, expand or read as a placeholder. */
const SAFE_PATH = /^(\/[A-Za-z0-9_.@+,=-]+)+\/?$|^\/$/;
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
/** A header value: printable text with no brace (placeholder / `{$ENV}` expansion) and no backslash. */
const HEADER_VALUE = /^[^{}\\\u0000-\u001f\u007f]*$/;

/** Parse a file name for the sites dir, or say why not. */
export function checkFileName(path: string): string | undefined {
  if (path.includes("/")) return `${JSON.stringify(path)} must be a file name inside the sites dir, not a path`;
  if (path === "." || path.includes("..")) return `${JSON.stringify(path)} may not contain ".."`;
  if (path.startsWith(".")) return `${JSON.stringify(path)} is a hidden file, which Caddy's *.caddy import skips`;
  if (!path.endsWith(".caddy")) return `${JSON.stringify(path)} must end in ".caddy" (the main Caddyfile imports <sitesDir>/*.caddy)`;
  if (!FILE_NAME.test(path)) return `${JSON.stringify(path)} may contain only letters, digits and _ . @ + - (at most 127 characters)`;
  return undefined;
}

/** Check an absolute path for a site file value (`root`, log dir, sites dir), or say why not. */
export function checkSafePath(path: string): string | undefined {
  if (!path.startsWith("/")) return `${JSON.stringify(path)} must be an absolute path`;
  if (path.split("/").some((s) => s === ".." || s === ".")) return `${JSON.stringify(path)} may not contain "." or ".." segments`;
  if (path.includes("//")) return `${JSON.stringify(path)} has an empty segment ("//")`;
  if (!SAFE_PATH.test(path)) return `${JSON.stringify(path)} may contain only letters, digits, "/" and _ . @ + , = - (no spaces, quotes, braces or control characters)`;
  return undefined;
}

/** Default file name for a site: its address with the scheme dropped and `:port` spelled out. */
export function defaultFileName(a: SiteAddress): string {
  const host = a.host?.replace(/^\*\./, "wildcard.").replace(/[[\]]/g, "").replace(/:/g, "_");
  const base = host ? (a.port ? `${host}-${a.port}` : host) : `port-${a.port}`;
  return `${base}.caddy`;
}

/** Validate a `caddy.site(address, options)` declaration. Throws one HostKitError naming the key. */
export function parseSite(address: unknown, input: unknown, ctx: SiteContext = {}): CaddySite {
  const id = typeof address === "string" ? address : String(address);
  const fail = (key: string | undefined, message: string): never => siteError(id, ctx, key, message);
  if (typeof address !== "string") fail("address", `expected the site address as a string, got ${typeof address}`);
  const res = v.safeParse(SiteOptionsSchema, input ?? {});
  if (!res.success) {
    const issue = res.issues[0]!;
    const key = issuePath(issue) || undefined;
    fail(key, issue.expected === "never" ? `unknown option (expected ${KEYS})` : issue.message);
  }
  const o = res.success ? res.output : ({} as never);

  const addresses: SiteAddress[] = [];
  const addAddress = (text: string, key: string) => {
    const a = parseAddress(text);
    if ("error" in a) fail(key, a.error);
    else {
      if (addresses.some((b) => b.text === a.text)) fail(key, `address ${JSON.stringify(text)} is listed twice`);
      addresses.push(a);
    }
  };
  addAddress(id, "address");
  (o.aliases ?? []).forEach((a, i) => addAddress(a, `aliases[${i}]`));

  let tls: CaddySite["tls"];
  if (o.tls === "internal" || o.tls === "off") tls = { mode: o.tls };
  else if (o.tls !== undefined) {
    if (!EMAIL.test(o.tls)) fail("tls", `expected "internal", "off" or an email address, got ${JSON.stringify(o.tls)}`);
    tls = { mode: "email", email: o.tls };
  }
  if (tls?.mode === "off") {
    addresses.forEach((a, i) => {
      if (a.scheme === "https") fail(i === 0 ? "address" : `aliases[${i - 1}]`, `address ${JSON.stringify(a.text)} is https:// but tls is "off"`);
    });
  } else if (tls && addresses.every((a) => a.scheme === "http")) {
    // Caddy drops a tls directive on http:// addresses without a word (observed, 2.6.2)
    fail("tls", `tls ${JSON.stringify(o.tls)} has no effect: every address of this site is http://`);
  }

  const path = o.path ?? defaultFileName(addresses[0]!);
  const pathError = checkFileName(path);
  if (pathError) fail("path", pathError);

  let upstream: CaddySite["upstream"];
  if (typeof o.reverseProxy === "string") {
    if (!/^[a-z_][a-z0-9_]*$/.test(o.reverseProxy)) {
      fail("reverseProxy", `${JSON.stringify(o.reverseProxy)} is not a listener name (lowercase letters, digits, _); for an address use { to: "127.0.0.1:9000" }`);
    }
    upstream = { listener: o.reverseProxy };
  } else if (o.reverseProxy) {
    const list = typeof o.reverseProxy.to === "string" ? [o.reverseProxy.to] : o.reverseProxy.to;
    if (list.length === 0) fail("reverseProxy.to", "expected at least one upstream");
    list.forEach((u, i) => {
      if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(u) || Number(u.slice(u.lastIndexOf(":") + 1)) > 65535 || Number(u.slice(u.lastIndexOf(":") + 1)) < 1) {
        fail(typeof o.reverseProxy === "object" && Array.isArray(o.reverseProxy.to) ? `reverseProxy.to[${i}]` : "reverseProxy.to", `${JSON.stringify(u)} is not an upstream host:port like "127.0.0.1:9000"`);
      }
    });
    upstream = { to: [...list] };
  }

  const headers: CaddySite["headers"] = [];
  for (const [name, value] of Object.entries(o.headers ?? {})) {
    const key = `headers.${name}`;
    if (!HEADER_NAME.test(name)) fail(key, `${JSON.stringify(name)} is not a header name (letters, digits and -)`);
    if (value !== null) {
      if (value === "") fail(key, "an empty header value; use null to remove the header");
      if (!HEADER_VALUE.test(value)) fail(key, `header value ${JSON.stringify(value)} may not contain { } \\ or control characters (Caddy would expand placeholders)`);
    }
    headers.push({ name, value });
  }

  if (o.root !== undefined) {
    const e = checkSafePath(o.root);
    if (e) fail("root", e);
  }
  if (o.fileServer && o.root === undefined) fail("fileServer", "fileServer needs root (the directory to serve)");

  const rawLines = o.raw === undefined ? [] : typeof o.raw === "string" ? [o.raw] : o.raw;
  const raw = checkRaw(rawLines);
  if ("error" in raw) fail(raw.key, raw.error);

  let monitor: CaddySite["monitor"];
  if (o.monitor) {
    monitor = { severity: o.monitor.severity ?? "warning" };
    if (o.monitor.http) {
      const url = o.monitor.http.url ?? defaultUrl(addresses[0]!, tls?.mode === "off");
      const e = checkUrl(url);
      if (e) fail("monitor.http.url", e);
      const status = o.monitor.http.expect?.status ?? 200;
      if (!Number.isInteger(status) || status < 100 || status > 599) fail("monitor.http.expect.status", `${status} is not an HTTP status (100–599)`);
      monitor.http = { url, status };
    }
  }

  return {
    id,
    addresses,
    path,
    upstream,
    encode: o.encode === true ? ["zstd", "gzip"] : o.encode ? [...o.encode] : undefined,
    tls,
    headers,
    root: o.root,
    fileServer: o.fileServer === true,
    raw: "lines" in raw ? raw.lines : [],
    monitor,
    telemetry: { logs: o.logs ?? "access", metrics: o.metrics ?? "http" },
  };
}

function defaultUrl(a: SiteAddress, plain: boolean): string {
  const scheme = a.scheme ?? (plain || !a.host ? "http" : "https");
  const host = a.host && !a.host.startsWith("*") ? a.host : "127.0.0.1";
  const port = a.port && !((scheme === "http" && a.port === 80) || (scheme === "https" && a.port === 443)) ? `:${a.port}` : "";
  return `${scheme}://${host}${port}/`;
}

function checkUrl(url: string): string | undefined {
  if (/[\s\u0000-\u001f\u007f"{}\\]/.test(url)) return `${JSON.stringify(url)} may not contain spaces, quotes, braces, backslashes or control characters`;
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return `${JSON.stringify(url)} must be an http:// or https:// URL`;
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  return undefined;
}

/**
 * Sites that cannot live on one host together: two with the same file name (one would overwrite the
 * other) or the same address (Caddy: "ambiguous site definition"). Throws naming the later one.
 */
export function checkSites(sites: { site: CaddySite; ctx?: SiteContext }[]): void {
  const files = new Map<string, string>();
  const addrs = new Map<string, string>();
  for (const { site, ctx = {} } of sites) {
    const other = files.get(site.path);
    if (other !== undefined) siteError(site.id, ctx, "path", `file ${JSON.stringify(site.path)} is already used by ${siteSubject(other)}`);
    files.set(site.path, site.id);
    for (const a of site.addresses) {
      const key = effectiveAddress(a, site.tls?.mode === "off");
      const prev = addrs.get(key);
      if (prev !== undefined) siteError(site.id, ctx, "address", `address ${JSON.stringify(a.text)} is also served by ${siteSubject(prev)} (Caddy: ambiguous site definition)`);
      addrs.set(key, site.id);
    }
  }
}

/** The address as Caddy keys it once tls "off" has added `http://`. */
function effectiveAddress(a: SiteAddress, plain: boolean): string {
  return plain && !a.scheme ? `http://${a.text}` : a.text;
}
