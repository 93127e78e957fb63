/**
 * The Caddy provider, written on the public provider contract (src/model/provider.ts) exactly as a
 * user's own provider would be:
 *
 *   import { caddy } from "hostkit/caddy";
 *   p.provider(caddy({ sitesDir: "/etc/caddy/sites" }));
 *   s.add(caddy.site("example.com", { reverseProxy: "http", encode: ["zstd", "gzip"] }));
 *
 * Its kinds (`caddy_site`, `caddy_import`) are in ./kinds.ts, registered in src/kinds/registry.ts.
 */
import { HostKitError } from "../model/errors.ts";
import { declaration, defineProvider, type Declaration, type ProvidedItem, type Provider } from "../model/provider.ts";
import type { ResourceBase } from "../model/resource.ts";
import { callerLocation } from "../dsl/location.ts";
import { checkSafePath, checkSites, parseSite, siteSubject, type CaddySite, type SiteOptions } from "./site.ts";
import { DEFAULT_LOG_DIR, DEFAULT_MAIN, DEFAULT_SITES_DIR, renderSite, resolveUpstreams } from "./caddyfile.ts";
import type { CaddyImportRes, CaddySiteRes } from "./kinds.ts";

/** What `caddy({ … })` takes. */
export interface CaddySettings {
  /**
   * Where site files go, one per site; the main Caddyfile imports `<sitesDir>/*.caddy`.
   * @example sitesDir: "/etc/caddy/sites"
   */
  sitesDir?: string;
  /**
   * The main Caddyfile (Debian: `/etc/caddy/Caddyfile`). HostKit only adds its one import line to it.
   * @example mainPath: "/etc/caddy/Caddyfile"
   */
  mainPath?: string;
  /**
   * Where access logs go (`logs: "access"`). Default `/var/log/caddy`.
   * @example logDir: "/var/log/caddy"
   */
  logDir?: string;
  /**
   * The systemd unit reloaded after a site changes. Default `caddy.service`.
   * @example unit: "caddy.service"
   */
  unit?: string;
  /**
   * Run `caddy validate` as this user (Caddy's own, so it reads files as the service will); `null`:
   * as the applier. Default `"caddy"` (used only when that account exists).
   * @example validateAs: null
   */
  validateAs?: string | null;
}

/** A site declaration's data: the parsed site (see SiteOptions). */
export interface CaddySiteDecl {
  site: CaddySite;
}

interface Resolved {
  sitesDir: string;
  mainPath: string;
  logDir: string;
  unit: string;
  validateAs: string;
}

function resolveSettings(s: CaddySettings, source: { file: string; line: number }): Resolved {
  const subject = "caddy provider";
  if (s === null || typeof s !== "object") throw new HostKitError({ subject, source, message: "expects settings like { sitesDir: \"/etc/caddy/sites\" }" });
  const known = ["sitesDir", "mainPath", "logDir", "unit", "validateAs"];
  for (const k of Object.keys(s)) if (!known.includes(k)) throw new HostKitError({ subject, key: k, source, message: `unknown option (expected ${known.join(", ")})` });
  const out = { sitesDir: s.sitesDir ?? DEFAULT_SITES_DIR, mainPath: s.mainPath ?? DEFAULT_MAIN, logDir: s.logDir ?? DEFAULT_LOG_DIR, unit: s.unit ?? "caddy.service", validateAs: s.validateAs === null ? "" : (s.validateAs ?? "caddy") };
  for (const k of ["sitesDir", "mainPath", "logDir"] as const) {
    const e = typeof out[k] === "string" ? checkSafePath(out[k]) : "expected an absolute path";
    if (e) throw new HostKitError({ subject, key: k, source, message: e });
  }
  if (out.sitesDir.replace(/\/$/, "") === "" || out.sitesDir === "/") throw new HostKitError({ subject, key: "sitesDir", source, message: "must not be /" });
  out.sitesDir = out.sitesDir.replace(/\/$/, "");
  if (typeof out.unit !== "string" || !/^[A-Za-z0-9:_.@-]+\.service$/.test(out.unit)) throw new HostKitError({ subject, key: "unit", source, message: `${JSON.stringify(out.unit)} is not a .service unit name` });
  if (typeof out.validateAs !== "string" || (out.validateAs !== "" && !/^[a-z_][a-z0-9_-]{0,31}$/.test(out.validateAs))) throw new HostKitError({ subject, key: "validateAs", source, message: "expected a user name or null" });
  return out;
}

function compileSites(items: readonly ProvidedItem<CaddySiteDecl>[], settings: Resolved & { source: { file: string; line: number } }, declared: ReadonlySet<string>): ResourceBase[] {
  const out: ResourceBase[] = [];
  const pkg = declared.has("package:caddy") ? ["package:caddy"] : [];
  // Sites that share a host: project-wide ones are on every host.
  const hosts = [...new Set(items.map((i) => i.host))];
  for (const h of hosts.filter((x) => x !== undefined)) checkSites(items.filter((i) => i.host === undefined || i.host === h).map((i) => ({ site: i.decl.data.site, ctx: { source: i.source } })));
  checkSites(items.filter((i) => i.host === undefined).map((i) => ({ site: i.decl.data.site, ctx: { source: i.source } })));
  // One import per host that has sites (project-wide when any site is).
  const importHosts = items.some((i) => i.host === undefined) ? [undefined] : hosts;
  for (const host of importHosts) {
    const first = items.find((i) => i.host === host) ?? items[0]!;
    const imp: CaddyImportRes = { type: "caddy_import", id: settings.mainPath, source: first.source, ...(host ? { host } : {}), path: settings.mainPath, sitesDir: settings.sitesDir, rollback: "keep", ...(pkg.length ? { requires: pkg } : {}) };
    out.push(imp);
  }
  for (const it of items) {
    const site = it.decl.data.site;
    const ctx = { subject: `${it.label} › ${siteSubject(site.id)}`, source: it.source };
    const r: CaddySiteRes = {
      type: "caddy_site",
      id: site.id,
      source: it.source,
      ...(it.service ? { service: it.service } : {}),
      ...(it.host ? { host: it.host } : {}),
      requires: [`caddy_import:${settings.mainPath}`, ...pkg],
      path: `${settings.sitesDir}/${site.path}`,
      content: renderSite(site, it.listeners, { logDir: settings.logDir, ctx }),
      addresses: site.addresses.map((a) => a.text),
      upstreams: resolveUpstreams(site, it.listeners, ctx),
      mainPath: settings.mainPath,
      unit: settings.unit,
      validateAs: settings.validateAs,
      ...(site.monitor ? { monitor: { severity: site.monitor.severity, ...(site.monitor.http ? { http: site.monitor.http } : {}) } } : {}),
      telemetry: site.telemetry,
      rollback: "delete",
    };
    out.push(r);
  }
  return out;
}

/**
 * A Caddy site: one file under the sites dir, imported by the main Caddyfile.
 * @example s.add(caddy.site("example.com", { path: "web.caddy", encode: ["zstd", "gzip"], reverseProxy: "http" }))
 * @example h.add(caddy.site("http://status.internal", { root: "/srv/status", fileServer: true }))
 */
function site(address: string, options?: SiteOptions): Declaration<CaddySiteDecl> {
  const source = callerLocation();
  const subject = siteSubject(String(address));
  try {
    return declaration("caddy", subject, { site: parseSite(address, options ?? {}, { source }) }, { source });
  } catch (e) {
    if (!(e instanceof HostKitError)) throw e;
    return declaration("caddy", subject, { site: undefined as never }, { source, problem: e });
  }
}

/**
 * The Caddy provider: register it once with `p.provider(caddy({ … }))`, then add sites anywhere.
 * @example p.provider(caddy({ sitesDir: "/etc/caddy/sites" }))
 */
function caddyProvider(settings: CaddySettings = {}): Provider<Resolved & { source: { file: string; line: number } }, CaddySiteDecl> {
  const source = callerLocation();
  return defineProvider({
    name: "caddy",
    settings: { ...resolveSettings(settings, source), source },
    compile: (items, s, ctx) => compileSites(items, s, ctx.declared),
  });
}

/** `caddy(settings)` makes the provider; `caddy.site(address, options)` declares a site. */
export const caddy: typeof caddyProvider & { site: typeof site } = Object.assign(caddyProvider, { site });
