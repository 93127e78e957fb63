/**
 * Really serving, on the controller: `caddy run` (admin API and site on 127.0.0.1 ports of its own)
 * in front of tiny Bun HTTP servers on 127.0.0.1. The activation sequence moves the site to another
 * upstream port (write → validate → `caddy reload`) and the response changes; a site Caddy rejects
 * at validation, and one it only rejects at load (a port already bound), both fail with Caddy's line,
 * leave the previous files in place, and the previous config keeps serving. Everything started here
 * is stopped by its handle; waits are bounded.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mainCaddyfile, renderSite, type ListenerMap } from "../../src/caddy/caddyfile.ts";
import { activation, caddyReloadArgv, runActivation, type FileChange } from "../../src/caddy/commands.ts";
import { parseSite, type SiteOptions } from "../../src/caddy/site.ts";
import { caddyUnavailable, freshDir, home, localIO } from "./caddy.ts";

const skip = caddyUnavailable("test/caddy/serve.test.ts");

/** A port nothing listens on right now (the kernel's pick, released at once). */
function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

const servers: { stop(force?: boolean): void }[] = [];
let caddy: ReturnType<typeof Bun.spawn> | undefined;
afterAll(async () => {
  if (caddy) {
    caddy.kill();
    await caddy.exited;
  }
  for (const s of servers) s.stop(true);
});

/** GET through Caddy: the body, or the error text. One attempt. */
async function get(url: string): Promise<string> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return `${r.status} ${await r.text()}`;
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

describe.skipIf(skip)("Caddy serving a rendered site", () => {
  test("reload to a new upstream; a rejected site never becomes active", async () => {
    const upstream = (body: string) => {
      const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(body) });
      servers.push(s);
      return s.port!;
    };
    const portA = upstream("daemon A");
    const portB = upstream("daemon B");
    // a port that is already bound when Caddy tries to listen on it at load time
    const taken = upstream("someone else");
    const adminPort = freePort();
    const sitePort = freePort();
    const admin = `127.0.0.1:${adminPort}`;

    const dir = freshDir("serve");
    const sites = join(dir, "sites");
    const logs = join(dir, "logs");
    mkdirSync(sites);
    const mainPath = join(dir, "Caddyfile");
    // the host's own global options; HostKit only appends its import (autosave goes to the private HOME)
    const hostMain = `{\n\tadmin ${admin}\n}\n`;
    const main = mainCaddyfile(hostMain, sites, { mainPath }).content;
    await localIO.write(mainPath, main, 0o644);

    const options: SiteOptions = { path: "web.caddy", tls: "off", reverseProxy: "http", encode: ["zstd", "gzip"], raw: ["bind 127.0.0.1"] };
    const site = parseSite(`127.0.0.1:${sitePort}`, options);
    const render = (l: ListenerMap) => renderSite(site, l, { logDir: logs });
    const sitePath = join(sites, site.path);
    await localIO.write(sitePath, render({ http: { port: portA, on: "loopback" } }), 0o644);

    caddy = Bun.spawn(["caddy", "run", "--adapter", "caddyfile", "--config", mainPath], {
      stdout: "ignore",
      stderr: "pipe",
      env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, "data"), XDG_CONFIG_HOME: join(home, "config") },
    });
    // drained all along, so a chatty Caddy never blocks on a full pipe
    const caddyLog = new Response(caddy.stderr as ReadableStream).text();
    const url = `http://127.0.0.1:${sitePort}/`;
    let first = "";
    for (let i = 0; i < 100 && !first.startsWith("200"); i++) {
      first = await get(url);
      if (!first.startsWith("200")) await Bun.sleep(100);
    }
    if (!first.startsWith("200")) {
      caddy.kill();
      await caddy.exited;
      throw new Error(`Caddy did not serve (${first}); its stderr:\n${await caddyLog}`);
    }
    expect(first).toBe("200 daemon A");
    // the access log (collection intent "access") records the request
    expect(existsSync(join(logs, "web.access.log"))).toBe(true);
    expect(readFileSync(join(logs, "web.access.log"), "utf8")).toContain('"msg":"handled request"');

    const reload = caddyReloadArgv(mainPath, { address: admin });
    const act = (changes: FileChange[]) => runActivation(activation(changes, { mainPath, user: null, reload }), localIO, { [sites]: "/etc/caddy/sites" });

    // 1. the listener moves to port B: write, validate, reload; the response changes
    const atA = readFileSync(sitePath, "utf8");
    const atB = render({ http: { port: portB, on: "loopback" } });
    expect(await act([{ path: sitePath, content: atB, previous: atA }])).toEqual({ ok: true, steps: 3 });
    expect(await get(url)).toBe("200 daemon B");

    // 2. a raw directive Caddy does not know: refused at validation, file back, B still served
    const bad = renderSite(parseSite(`127.0.0.1:${sitePort}`, { ...options, raw: ["bind 127.0.0.1", "frobnicate on"] }), { http: { port: portA } }, { logDir: logs });
    const rejected = await act([{ path: sitePath, content: bad, previous: atB }]);
    expect(rejected).toEqual({ ok: false, stage: "validate", error: "Error: adapting config using caddyfile: /etc/caddy/sites/web.caddy:11: unrecognized directive: frobnicate", restored: true });
    expect(readFileSync(sitePath, "utf8")).toBe(atB);
    expect(await get(url)).toBe("200 daemon B");

    // 3. valid, but Caddy cannot load it (the new site's port is taken): reload fails, files back, reloaded back
    const extra = parseSite(`127.0.0.1:${taken}`, { path: "extra.caddy", tls: "off", reverseProxy: "http", raw: ["bind 127.0.0.1"], logs: false });
    const extraPath = join(sites, extra.path);
    const loadFail = await act([
      { path: sitePath, content: render({ http: { port: portA } }), previous: atB },
      { path: extraPath, content: renderSite(extra, { http: { port: portA } }), previous: null },
    ]);
    expect(loadFail.ok).toBe(false);
    if (loadFail.ok) return;
    expect(loadFail.stage).toBe("reload");
    expect(loadFail.error).toStartWith("Error: sending configuration to instance: caddy responded with error: HTTP 400:");
    expect(loadFail.error).toContain(`listen tcp 127.0.0.1:${taken}: bind: address already in use`);
    expect(loadFail.restored).toBe(true);
    expect(readFileSync(sitePath, "utf8")).toBe(atB);
    expect(existsSync(extraPath)).toBe(false);
    expect(await get(url)).toBe("200 daemon B");
    expect(readFileSync(mainPath, "utf8")).toBe(main);
  });
});
