/**
 * Repology client: semantic package name → installable name in a target's repository, through
 * `GET /api/v1/project/<project>` (reference packages.md §1–2).
 *
 * Repology's terms (§1.1) are followed by construction: every request carries a User-Agent naming
 * HostKit and its source repository, all requests of the process go through one limiter (at most
 * one per second, never concurrent), redirects do not trigger retries, and each response is cached
 * on disk (24 h by default) so a converged project makes no requests at all.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ofetch } from "ofetch";
import { VERSION } from "../version.ts";
import { limited } from "./rate-limit.ts";
import { asPackageList, pickInstallable, projectName, ResolveError, type PackageResolver, type RepologyPackage, type Resolution } from "./repology-pick.ts";

export type { PackageResolver, RepologyPackage, Resolution } from "./repology-pick.ts";
export { resolveDiagnostic, ResolveError, type ResolveErrorKind } from "./repology-pick.ts";

export const DEFAULT_REPOLOGY_URL = "https://repology.org";
/** Where HostKit's source and issue tracker live; Repology requires this in the User-Agent. */
export const HOSTKIT_SOURCE_URL = "https://github.com/hostkit/hostkit";
export const USER_AGENT = `HostKit/${VERSION} (+${HOSTKIT_SOURCE_URL})`;
export const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
/** The cache directory relative to the project directory (the infra file's directory). */
export const CACHE_SUBDIR = ".hostkit/cache/repology";


export interface RepologyOptions {
  /** Directory for cached responses, e.g. `<project dir>/.hostkit/cache/repology`. */
  cacheDir: string;
  /** Default: `$HOSTKIT_REPOLOGY_URL`, else https://repology.org. */
  baseUrl?: string;
  /** How long a cached response is used without asking again. Default 24 h. */
  ttlMs?: number;
  /** Ignore the cache (responses fetched now still refresh it). */
  refresh?: boolean;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  /** Clock for cache ages (ms since the epoch). */
  now?: () => number;
}

interface CacheEntry {
  url: string;
  fetchedAt: number;
  /** The response body exactly as received. */
  body: string;
}

export class RepologyClient implements PackageResolver {
  readonly baseUrl: string;
  /** HTTP requests this client has sent (cache hits are not requests). */
  requests = 0;
  private readonly inflight = new Map<string, Promise<RepologyPackage[]>>();

  constructor(private readonly opts: RepologyOptions) {
    this.baseUrl = repologyBaseUrl(opts.baseUrl ?? process.env.HOSTKIT_REPOLOGY_URL);
  }

  async resolve(semantic: string, repository: string): Promise<Resolution> {
    const project = projectName(semantic);
    return pickInstallable(semantic, project, repository, await this.project(project));
  }

  /** The packages of one Repology project (cached; one request per project per client at most). */
  project(project: string): Promise<RepologyPackage[]> {
    let p = this.inflight.get(project);
    if (!p) {
      p = this.load(project);
      this.inflight.set(project, p);
      p.catch(() => this.inflight.delete(project));
    }
    return p;
  }

  private async load(project: string): Promise<RepologyPackage[]> {
    const url = `${this.baseUrl}/api/v1/project/${encodeURIComponent(project)}`;
    const file = join(this.opts.cacheDir, `project-${encodeURIComponent(project)}.json`);
    const now = this.opts.now ?? Date.now;
    if (!this.opts.refresh) {
      const hit = readCache(file, url, now(), this.opts.ttlMs ?? DEFAULT_TTL_MS);
      if (hit) return hit;
    }
    const body = await limited(() => this.fetchText(url));
    const list = parseBody(body, url);
    writeCache(this.opts.cacheDir, file, { url, fetchedAt: now(), body });
    return list;
  }

  private async fetchText(url: string): Promise<string> {
    this.requests++;
    let res;
    try {
      res = await ofetch.raw(url, {
        responseType: "text",
        headers: { "User-Agent": USER_AGENT, Accept: "application/json" },
        // A retry would be a second request outside the limiter.
        retry: false,
        ignoreResponseError: true,
        timeout: this.opts.timeoutMs ?? 30_000,
      });
    } catch (e) {
      throw new ResolveError("unavailable", `cannot reach Repology at ${url}: ${(e as Error).message}`, "retry later, or plan with --package-lock FILE (no requests)");
    }
    const body = typeof res._data === "string" ? res._data : "";
    if (res.status === 403) {
      const html = /text\/html/i.test(res.headers.get("content-type") ?? "") || /^\s*</.test(body);
      throw new ResolveError(
        "blocked",
        `blocked by Repology: HTTP 403${html ? " with an HTML page" : ""} for ${url}`,
        `Repology blocks clients that send more than 1 request per second or no identifying User-Agent (HostKit sends "${USER_AGENT}"); retry later, or plan with --package-lock FILE (no requests)`,
      );
    }
    if (res.status !== 200) {
      // The project endpoint answers an unknown project with 200 [], so a 404 is a wrong base URL
      // or a broken proxy — never "package not found".
      throw new ResolveError("unavailable", `Repology answered HTTP ${res.status} for ${url}`, `check HOSTKIT_REPOLOGY_URL (now ${this.baseUrl}), or retry later`);
    }
    return body;
  }
}

/** Validate the base URL (an http(s) URL) and drop a trailing slash. */
export function repologyBaseUrl(raw: string | undefined): string {
  const s = raw === undefined || raw === "" ? DEFAULT_REPOLOGY_URL : raw;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ResolveError("unavailable", `HOSTKIT_REPOLOGY_URL is not a URL: ${JSON.stringify(s)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new ResolveError("unavailable", `HOSTKIT_REPOLOGY_URL must be an http:// or https:// URL, not ${JSON.stringify(s)}`);
  }
  return s.replace(/\/+$/, "");
}

function parseBody(body: string, url: string): RepologyPackage[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ResolveError("unavailable", `Repology's answer for ${url} is not JSON (starts ${JSON.stringify(body.slice(0, 40))})`);
  }
  const list = asPackageList(parsed);
  if (!list) throw new ResolveError("unavailable", `Repology's answer for ${url} is not a list of packages`);
  return list;
}

function readCache(file: string, url: string, now: number, ttlMs: number): RepologyPackage[] | undefined {
  let entry: CacheEntry;
  try {
    entry = JSON.parse(readFileSync(file, "utf8")) as CacheEntry;
  } catch {
    return undefined; // missing or unreadable: a miss, fetched again and rewritten
  }
  if (entry?.url !== url || typeof entry.fetchedAt !== "number" || typeof entry.body !== "string") return undefined;
  if (now - entry.fetchedAt >= ttlMs || entry.fetchedAt > now) return undefined;
  try {
    return asPackageList(JSON.parse(entry.body));
  } catch {
    return undefined;
  }
}

/** Write atomically (temp file + rename) so a concurrent reader never sees half an entry. */
function writeCache(dir: string, file: string, entry: CacheEntry): void {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(entry)}\n`);
    renameSync(tmp, file);
  } catch {
    // A cache that cannot be written only costs a request next time.
  }
}
