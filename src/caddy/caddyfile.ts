/**
 * Caddyfile text: one site file per `caddy_site`, and the single `import <sitesDir>/*.caddy` line the
 * provider keeps in the host's main Caddyfile. Rendering is deterministic and already in `caddy fmt`
 * form (tabs), so Caddy logs no "input is not formatted" warning and a second plan sees no change.
 * Values were validated by `parseSite`; quoting here is only so a value stays one token.
 */
import { posix } from "node:path";
import { normalizeAddress } from "../model/address.ts";
import { HostKitError } from "../model/errors.ts";
import { lines as groupLines, tokenize } from "./lexer.ts";
import { rawDepths } from "./raw.ts";
import { checkSafePath, siteError, siteSubject, type CaddySite, type SiteContext } from "./site.ts";

/** A service's named listeners, as its daemon declares them (`on` default "loopback"). */
export type ListenerMap = Record<string, { port: number; on?: unknown }>;

export interface RenderOptions {
  /** Where access logs go (`logs: "access"`). Default `/var/log/caddy`, which Debian's package makes caddy-owned. */
  logDir?: string;
  /** Names the declaration in errors (an unknown listener). */
  ctx?: SiteContext;
}

export const DEFAULT_SITES_DIR = "/etc/caddy/sites";
export const DEFAULT_MAIN = "/etc/caddy/Caddyfile";
export const DEFAULT_LOG_DIR = "/var/log/caddy";

/** The upstreams `reverse_proxy` dials: a listener's `host:port`, or the explicit ones. */
export function resolveUpstreams(site: CaddySite, listeners: ListenerMap, ctx: SiteContext = {}): string[] {
  if (!site.upstream) return [];
  if ("to" in site.upstream) return site.upstream.to;
  const name = site.upstream.listener;
  const l = Object.hasOwn(listeners, name) ? listeners[name] : undefined;
  if (!l) {
    const known = Object.keys(listeners);
    const have = known.length ? `the service declares ${known.map((k) => JSON.stringify(k)).join(", ")}` : "the service declares no listeners";
    siteError(site.id, ctx, "reverseProxy", `unknown listener ${JSON.stringify(name)} for ${siteSubject(site.id)} (${have}; declare it in daemon({ listen: { ${name}: { port: … } } }))`);
  }
  const on = normalizeAddress(l.on ?? "loopback");
  if (typeof on !== "string") siteError(site.id, ctx, "reverseProxy", `listener ${JSON.stringify(name)}: ${on.error}`);
  if (!Number.isInteger(l.port) || l.port < 1 || l.port > 65535) siteError(site.id, ctx, "reverseProxy", `listener ${JSON.stringify(name)} has no valid port`);
  // a wildcard bind is reached on loopback; a specific address on itself
  const host = on === "loopback" || on === "any" ? "127.0.0.1" : on.replace(/\/\d+$/, "");
  return [`${host.includes(":") ? `[${host}]` : host}:${l.port}`];
}

/** Quote a token for the Caddyfile when it is not a plain word. Refuses what no quoting makes safe. */
export function caddyToken(value: string): string {
  if (/[\\{}\u0000-\u001f\u007f]/.test(value)) throw new Error(`internal: unvalidated Caddyfile value ${JSON.stringify(value)}`);
  if (/^[A-Za-z0-9._~:/@%+=,*!?&'()[\]-]+$/.test(value)) return value;
  return `"${value.replace(/"/g, '\\"')}"`;
}

/** The site's file: one site block, deterministic, in `caddy fmt` form. */
export function renderSite(site: CaddySite, listeners: ListenerMap, opts: RenderOptions = {}): string {
  const logDir = opts.logDir ?? DEFAULT_LOG_DIR;
  const logDirError = checkSafePath(logDir);
  if (logDirError) throw new HostKitError({ subject: "caddy provider", key: "logDir", message: logDirError });
  const plain = site.tls?.mode === "off";
  const addresses = site.addresses.map((a) => (plain && !a.scheme ? `http://${a.text}` : a.text));
  const out: string[] = [`# Managed by HostKit: ${siteSubject(site.id)}. Edits here are replaced on the next apply.`, `${addresses.join(", ")} {`];
  const d = (line: string, depth = 1) => out.push(`${"\t".repeat(depth)}${line}`);
  if (site.encode) d(`encode ${site.encode.join(" ")}`);
  if (site.tls?.mode === "internal") d("tls internal");
  if (site.tls?.mode === "email") d(`tls ${caddyToken(site.tls.email)}`);
  for (const h of site.headers) d(h.value === null ? `header -${h.name}` : `header ${h.name} "${h.value.replace(/"/g, '\\"')}"`);
  if (site.root !== undefined) d(`root * ${caddyToken(site.root)}`);
  const upstreams = resolveUpstreams(site, listeners, opts.ctx);
  if (upstreams.length) d(`reverse_proxy ${upstreams.map(caddyToken).join(" ")}`);
  if (site.fileServer) d("file_server");
  if (site.telemetry.logs === "access") {
    d("log {");
    d(`output file ${caddyToken(`${logDir.replace(/\/$/, "")}/${site.path.replace(/\.caddy$/, "")}.access.log`)}`, 2);
    d("format json", 2);
    d("}");
  }
  if (site.raw.length) {
    d("# raw directives, as declared");
    const depths = rawDepths(site.raw);
    site.raw.forEach((l, i) => d(l, 1 + depths[i]!));
  }
  out.push("}");
  return `${out.join("\n")}\n`;
}

/** The comment above the import line, so a later apply finds (and can move) its own line. */
export const IMPORT_MARKER = "# Added by HostKit: the sites it manages, one file each. Keep this import.";

export function importLine(sitesDir: string): string {
  return `import ${sitesDir.replace(/\/$/, "")}/*.caddy`;
}

export interface MainCaddyfileOptions {
  /** Where the main Caddyfile lives (relative imports resolve against its directory). Default `/etc/caddy/Caddyfile`. */
  mainPath?: string;
}

function mainError(mainPath: string, message: string, line?: number): never {
  throw new HostKitError({ subject: "caddy provider", key: "main Caddyfile", message: `${mainPath}${line ? `:${line}` : ""}: ${message}` });
}

/** Top-level `import` arguments of a Caddyfile, with their lines (1-based). */
function topLevelImports(text: string, mainPath: string): { line: number; args: string[] }[] {
  const t = tokenize(text);
  if (!t.ok) mainError(mainPath, `${t.error}; refusing to edit a file Caddy cannot read`, t.line);
  const g = groupLines(t.tokens);
  if (!g.ok) mainError(mainPath, `${g.error}; refusing to edit a file Caddy cannot read`, g.line);
  if (g.depth !== 0) mainError(mainPath, "a block is never closed; refusing to append to it");
  return g.lines.filter((l) => l.depth === 0 && l.tokens[0]!.quote === undefined && l.tokens[0]!.text === "import").map((l) => ({ line: l.line, args: l.tokens.slice(1).map((x) => x.text) }));
}

/**
 * The main Caddyfile with exactly one import of the sites dir. `current` null: the file does not
 * exist yet. An existing import of the same glob (absolute, or relative to the file) counts; our own
 * marked line pointing at another dir is moved; everything else stays byte for byte — the new lines
 * are appended at the end, at top level, so a host's own sites and global options are untouched.
 */
export function mainCaddyfile(current: string | null, sitesDir: string = DEFAULT_SITES_DIR, opts: MainCaddyfileOptions = {}): { content: string; changed: boolean } {
  const mainPath = opts.mainPath ?? DEFAULT_MAIN;
  const dirError = checkSafePath(sitesDir);
  if (dirError) throw new HostKitError({ subject: "caddy provider", key: "sitesDir", message: dirError });
  const want = importLine(sitesDir);
  if (current === null || current.trim() === "") return { content: `${IMPORT_MARKER}\n${want}\n`, changed: true };
  const glob = posix.normalize(`${sitesDir.replace(/\/$/, "")}/*.caddy`);
  const imports = topLevelImports(current, mainPath);
  const resolve = (p: string) => posix.normalize(p.startsWith("/") ? p : posix.join(posix.dirname(mainPath), p));
  if (imports.some((i) => i.args.length === 1 && resolve(i.args[0]!) === glob)) return { content: current, changed: false };

  const eol = current.includes("\r\n") ? "\r\n" : "\n";
  const rows = current.split("\n");
  const marker = rows.findIndex((r, i) => r.replace(/\r$/, "") === IMPORT_MARKER && /^import\s/.test(rows[i + 1] ?? ""));
  if (marker >= 0 && imports.some((i) => i.line === marker + 2)) {
    // our own line, for a sites dir that has since changed: move it, nothing else
    const cr = rows[marker + 1]!.endsWith("\r") ? "\r" : "";
    rows[marker + 1] = `${want}${cr}`;
    return { content: rows.join("\n"), changed: true };
  }
  const sep = current.endsWith("\n") ? "" : eol;
  return { content: `${current}${sep}${eol}${IMPORT_MARKER}${eol}${want}${eol}`, changed: true };
}

/** The main Caddyfile without HostKit's marked import (for removing the provider); other bytes kept. */
export function withoutImport(current: string): { content: string; changed: boolean } {
  const rows = current.split("\n");
  const at = rows.findIndex((r, i) => r.replace(/\r$/, "") === IMPORT_MARKER && /^import\s/.test(rows[i + 1] ?? ""));
  if (at < 0) return { content: current, changed: false };
  const from = at > 0 && rows[at - 1]!.replace(/\r$/, "") === "" ? at - 1 : at;
  rows.splice(from, at + 2 - from);
  return { content: rows.join("\n"), changed: true };
}
