/**
 * The Repology client against a loopback server that serves the real recorded responses byte for
 * byte. Every request is limited process-wide to 1 per second, so this file takes a few seconds.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RepologyClient, ResolveError, USER_AGENT, HOSTKIT_SOURCE_URL, repologyBaseUrl } from "../../src/packages/repology.ts";
import { FIXTURES, startRepologyServer, type RepologyServer } from "./repology-server.ts";

let server: RepologyServer;
const dirs: string[] = [];
function cacheDir(): string {
  const d = mkdtempSync(join(tmpdir(), "hostkit-repology-"));
  dirs.push(d);
  return join(d, ".hostkit/cache/repology");
}
const client = (opts: Partial<ConstructorParameters<typeof RepologyClient>[0]> = {}) =>
  new RepologyClient({ cacheDir: cacheDir(), baseUrl: server.url, ...opts });

async function failure(p: Promise<unknown>): Promise<ResolveError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ResolveError) return e;
    throw e;
  }
  throw new Error("expected a ResolveError, got a result");
}

beforeAll(() => {
  server = startRepologyServer();
});
afterAll(() => {
  server.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("resolving on the recorded responses", () => {
  test("firefox on Debian 12 is firefox-esr (a merged project), elsewhere firefox", async () => {
    const c = client();
    expect(await c.resolve("firefox", "debian_12")).toEqual({
      semantic: "firefox",
      project: "firefox",
      repository: "debian_12",
      name: "firefox-esr",
      // bookworm/main is "legacy"; the bookworm-security entry is the current one.
      version: "128.5.0esr-1~deb12u1",
    });
    expect((await c.resolve("firefox", "arch")).name).toBe("firefox");
    // Alpine lists split packages (firefox, firefox-dbg, firefox-intl): the project's own name wins.
    expect((await c.resolve("firefox", "alpine_3_20")).name).toBe("firefox");
    expect(await c.resolve("firefox", "fedora_41")).toMatchObject({ name: "firefox", version: "133.0-2.fc41" });
    expect((await c.resolve("firefox", "ubuntu_24_04")).name).toBe("firefox");
    // All five came from ONE request for the project.
    expect(c.requests).toBe(1);
  });

  test("abseil_cpp → project abseil-cpp → abseil on Debian and Ubuntu, abseil-cpp on Alpine and Arch", async () => {
    const c = client();
    expect(await c.resolve("abseil_cpp", "debian_12")).toMatchObject({ project: "abseil-cpp", name: "abseil", version: "20220623.1-1+deb12u2" });
    expect((await c.resolve("abseil_cpp", "ubuntu_24_04")).name).toBe("abseil");
    expect((await c.resolve("abseil_cpp", "alpine_3_23")).name).toBe("abseil-cpp");
    expect((await c.resolve("abseil_cpp", "arch")).name).toBe("abseil-cpp");
  });

  test("an unknown project ([] from Repology) is its own clear error", async () => {
    const e = await failure(client().resolve("no_such_thing", "debian_12"));
    expect(e.kind).toBe("unknown-project");
    expect(e.message).toBe('Repology has no project "no-such-thing" (looked up for package "no_such_thing")');
    expect(e.hint).toContain('as: "<name>"');
  });

  test("a project without a package in the target's repository says so", async () => {
    const e = await failure(client().resolve("firefox", "debian_13"));
    expect(e.kind).toBe("not-in-repository");
    expect(e.message).toContain('project "firefox" has no package in repository debian_13');
  });

  test('a 403 with the nginx HTML page is "blocked by Repology", never "not found"', async () => {
    server.blocked = true;
    try {
      const e = await failure(client().resolve("firefox", "debian_12"));
      expect(e.kind).toBe("blocked");
      expect(e.message).toStartWith("blocked by Repology: HTTP 403 with an HTML page for");
      expect(e.message).not.toContain("not found");
      expect(e.hint).toContain("--package-lock");
    } finally {
      server.blocked = false;
    }
  });

  test("a 404 (wrong base URL) is reported as such, not as an unknown package", async () => {
    const e = await failure(client({ baseUrl: `${server.url}/wrong` }).resolve("firefox", "debian_12"));
    expect(e.kind).toBe("unavailable");
    expect(e.message).toContain("HTTP 404");
    expect(e.hint).toContain("HOSTKIT_REPOLOGY_URL");
  });

  test("an unreachable Repology is a clear error", async () => {
    const dead = startRepologyServer();
    const url = dead.url;
    dead.stop();
    const e = await failure(client({ baseUrl: url }).resolve("firefox", "debian_12"));
    expect(e.kind).toBe("unavailable");
    expect(e.message).toContain(`cannot reach Repology at ${url}/api/v1/project/firefox`);
  });
});

describe("Repology's terms", () => {
  test("every request carries the HostKit User-Agent with the source repository URL", async () => {
    const before = server.requests.length;
    await client().resolve("a2ps", "debian_12");
    const seen = server.requests.slice(before);
    expect(seen.map((r) => r.path)).toEqual(["/api/v1/project/a2ps"]);
    expect(seen[0]!.userAgent).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^HostKit\/\d+\.\d+\.\d+ \(\+https:\/\/github\.com\/hostkit\/hostkit\)$/);
    expect(USER_AGENT).toContain(HOSTKIT_SOURCE_URL);
  });

  test("at most 1 request per second for the whole process, even when asked in parallel", async () => {
    const before = server.requests.length;
    // Three clients (separate caches), four projects, all at once.
    await Promise.allSettled([
      client().resolve("firefox", "debian_12"),
      client().resolve("abseil_cpp", "debian_12"),
      client().resolve("a2ps", "arch"),
      client().resolve("unknown_one", "arch"),
    ]);
    const seen = server.requests.slice(before);
    expect(seen.length).toBe(4);
    const gaps = seen.slice(1).map((r, i) => r.at - seen[i]!.at);
    console.log(`gaps between Repology requests at the server (ms): ${gaps.map((g) => g.toFixed(1)).join(", ")}`);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(1000);
  });
});

describe("cache", () => {
  test("a cached response makes zero requests; the file holds the body exactly as served", async () => {
    const dir = cacheDir();
    await new RepologyClient({ cacheDir: dir, baseUrl: server.url }).resolve("firefox", "debian_12");
    const entry = JSON.parse(readFileSync(join(dir, "project-firefox.json"), "utf8"));
    expect(entry.url).toBe(`${server.url}/api/v1/project/firefox`);
    expect(entry.body).toBe(readFileSync(join(FIXTURES, "project-firefox.json"), "utf8"));

    const before = server.requests.length;
    const again = new RepologyClient({ cacheDir: dir, baseUrl: server.url });
    expect((await again.resolve("firefox", "debian_12")).name).toBe("firefox-esr");
    expect(again.requests).toBe(0);
    expect(server.requests.length).toBe(before);
  });

  test("an expired entry, refresh, and another base URL each ask again", async () => {
    const dir = cacheDir();
    let now = Date.parse("2026-09-01T00:00:00Z");
    const at = () => now;
    await new RepologyClient({ cacheDir: dir, baseUrl: server.url, now: at }).resolve("a2ps", "arch");

    now += 23 * 3600_000; // within the default 24 h
    const fresh = new RepologyClient({ cacheDir: dir, baseUrl: server.url, now: at });
    await fresh.resolve("a2ps", "arch");
    expect(fresh.requests).toBe(0);

    const shortTtl = new RepologyClient({ cacheDir: dir, baseUrl: server.url, now: at, ttlMs: 3600_000 });
    await shortTtl.resolve("a2ps", "arch");
    expect(shortTtl.requests).toBe(1);

    const refresh = new RepologyClient({ cacheDir: dir, baseUrl: server.url, now: at, refresh: true });
    await refresh.resolve("a2ps", "arch");
    expect(refresh.requests).toBe(1);

    now += 25 * 3600_000; // past 24 h since the refresh
    const expired = new RepologyClient({ cacheDir: dir, baseUrl: server.url, now: at });
    await expired.resolve("a2ps", "arch");
    expect(expired.requests).toBe(1);

    const other = new RepologyClient({ cacheDir: dir, baseUrl: `${server.url}/`, now: at });
    await other.resolve("a2ps", "arch"); // same URL after the trailing slash is dropped: a hit
    expect(other.requests).toBe(0);
  });

  test("an error response is not cached", async () => {
    const dir = cacheDir();
    server.blocked = true;
    try {
      await failure(new RepologyClient({ cacheDir: dir, baseUrl: server.url }).resolve("a2ps", "arch"));
    } finally {
      server.blocked = false;
    }
    const c = new RepologyClient({ cacheDir: dir, baseUrl: server.url });
    expect((await c.resolve("a2ps", "arch")).name).toBe("a2ps");
    expect(c.requests).toBe(1);
  });
});

describe("base URL", () => {
  test("HOSTKIT_REPOLOGY_URL is used when no base URL is given", async () => {
    const old = process.env.HOSTKIT_REPOLOGY_URL;
    process.env.HOSTKIT_REPOLOGY_URL = server.url;
    try {
      const c = new RepologyClient({ cacheDir: cacheDir() });
      expect(c.baseUrl).toBe(server.url);
      expect((await c.resolve("firefox", "debian_12")).name).toBe("firefox-esr");
      delete process.env.HOSTKIT_REPOLOGY_URL;
      expect(new RepologyClient({ cacheDir: cacheDir() }).baseUrl).toBe("https://repology.org");
    } finally {
      if (old === undefined) delete process.env.HOSTKIT_REPOLOGY_URL;
      else process.env.HOSTKIT_REPOLOGY_URL = old;
    }
  });

  test("a base URL that is not http(s) is refused", () => {
    expect(() => repologyBaseUrl("file:///etc/passwd")).toThrow("must be an http:// or https:// URL");
    expect(() => repologyBaseUrl("not a url")).toThrow("is not a URL");
    expect(repologyBaseUrl("http://127.0.0.1:9/")).toBe("http://127.0.0.1:9");
  });
});
