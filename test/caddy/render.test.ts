/**
 * Every example site renders to a file Debian's Caddy 2.6.2 accepts (`caddy validate --adapter
 * caddyfile`), alone and all together behind Debian's default Caddyfile with the managed import; the
 * adapted JSON shows what a user would notice (the upstream dialed, header values exactly as
 * declared, the access log file); a raw directive Caddy does not know fails validation with Caddy's
 * own line, pointing at the rendered line.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mainCaddyfile, renderSite } from "../../src/caddy/caddyfile.ts";
import { parseCaddyError } from "../../src/caddy/commands.ts";
import { parseSite } from "../../src/caddy/site.ts";
import { HostKitError } from "../../src/model/errors.ts";
import { examples } from "../fixtures/caddy/sites.ts";
import { adapt, caddyUnavailable, freshDir, validate, write } from "./caddy.ts";

const DEBIAN = readFileSync(join(import.meta.dir, "../fixtures/caddy/debian-Caddyfile"), "utf8");
const skip = caddyUnavailable("test/caddy/render.test.ts");

const rendered = examples.map((e) => ({ e, site: parseSite(e.address, e.options), text: renderSite(parseSite(e.address, e.options), e.listeners, { logDir: "/var/log/caddy" }) }));

describe("rendering", () => {
  test("is deterministic", () => {
    for (const { e, text } of rendered) expect(renderSite(parseSite(e.address, e.options), e.listeners)).toBe(text);
  });

  test("the seed's example renders the listener's address", () => {
    expect(rendered[0]!.text).toBe(
      [
        '# Managed by HostKit: caddy_site "example.com". Edits here are replaced on the next apply.',
        "example.com {",
        "\tencode zstd gzip",
        "\ttls internal",
        "\treverse_proxy 127.0.0.1:4000",
        "\tlog {",
        "\t\toutput file /var/log/caddy/web.access.log",
        "\t\tformat json",
        "\t}",
        "}",
        "",
      ].join("\n"),
    );
  });

  test("an unknown listener is one error naming the site and the listener", () => {
    const site = parseSite("example.com", { reverseProxy: "http" });
    let err: unknown;
    try {
      renderSite(site, { admin: { port: 9000 }, metrics: { port: 9100 } }, { ctx: { source: { file: "infra/web.ts", line: 7 } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HostKitError);
    expect((err as Error).message).toBe(
      'infra/web.ts:7: caddy_site "example.com" › reverseProxy: unknown listener "http" for caddy_site "example.com" (the service declares "admin", "metrics"; declare it in daemon({ listen: { http: { port: … } } }))',
    );
    expect(() => renderSite(site, {})).toThrow(/unknown listener "http" .*the service declares no listeners/);
    // a listener named like an Object prototype key is not found by accident
    expect(() => renderSite(parseSite("example.com", { reverseProxy: "constructor" }), {})).toThrow(/unknown listener "constructor"/);
  });

  test("a listener bound to a specific address is dialed there; IPv6 in brackets", () => {
    const s = parseSite("example.com", { reverseProxy: "http" });
    expect(renderSite(s, { http: { port: 4000, on: [10, 44, 0, 5] } })).toContain("\treverse_proxy 10.44.0.5:4000\n");
    expect(renderSite(s, { http: { port: 4000, on: "any" } })).toContain("\treverse_proxy 127.0.0.1:4000\n");
    expect(renderSite(s, { http: { port: 4000, on: "::1" } })).toContain("\treverse_proxy [::1]:4000\n");
  });

  test("a hostile log dir is refused", () => {
    expect(() => renderSite(parseSite("example.com", {}), {}, { logDir: "/var/log/caddy\n}" })).toThrow(/caddy provider › logDir: .*may contain only/);
  });
});

describe.skipIf(skip)("Caddy accepts every example", () => {
  for (const { e, text } of rendered) {
    test(`${e.name}: validates alone, already in caddy fmt form`, () => {
      const file = write(join(freshDir("one"), "site.caddy"), text);
      const r = validate(file);
      expect(`${r.code} ${r.stdout.trim()}`, r.stderr).toBe("0 Valid configuration");
      expect(r.stderr).not.toContain("not formatted");
    });
  }

  test("all together behind Debian's default Caddyfile with the managed import", () => {
    const dir = freshDir("all");
    const sites = join(dir, "sites");
    const mainPath = join(dir, "Caddyfile");
    mkdirSync(sites);
    for (const { site, text } of rendered) write(join(sites, site.path), text);
    const main = mainCaddyfile(DEBIAN, sites, { mainPath });
    write(mainPath, main.content);
    const r = validate(mainPath);
    expect(`${r.code} ${r.stdout.trim()}`, r.stderr).toBe("0 Valid configuration");
    // what the adapted config serves: Debian's own :80 site and ours
    const json = JSON.stringify(adapt(mainPath));
    expect(json).toContain('"root":"/usr/share/caddy"');
    expect(json).toContain('"dial":"127.0.0.1:4000"');
    expect(json).toContain('"dial":"[::1]:5000"');
    expect(json).toContain('"dial":"10.44.0.5:8443"');
    expect(json).toContain('"filename":"/var/log/caddy/web.access.log"');
  });

  test("header values reach Caddy exactly as declared", () => {
    const values = ['say "hello"', "default-src 'self'; img-src data:", "a,b;c=d", "100%", "ünïcødé", '"', "x  y", "#not-a-comment"];
    const headers = Object.fromEntries(values.map((v, i) => [`X-V${i}`, v]));
    const file = write(join(freshDir("hdr"), "site.caddy"), renderSite(parseSite(":8080", { headers, logs: false }), {}));
    const json = adapt(file) as { apps: { http: { servers: { srv0: { routes: { handle: { response: { set: Record<string, string[]> } }[] }[] } } } } };
    // each `header` line is its own handler; gather what they set
    const set = Object.assign({}, ...json.apps.http.servers.srv0.routes[0]!.handle.map((h) => h.response.set)) as Record<string, string[]>;
    expect(Object.keys(set).sort()).toEqual(Object.keys(headers).sort());
    for (const [k, v] of Object.entries(headers)) expect(set[k]).toEqual([v]);
  });

  test("a raw directive Caddy does not know fails validation with Caddy's line", () => {
    const site = parseSite("example.com", { tls: "internal", reverseProxy: "http", raw: ["skip_log /health", "frobnicate on"] });
    const text = renderSite(site, { http: { port: 4000 } });
    const dir = freshDir("bad");
    const file = write(join(dir, "web.caddy"), text);
    const r = validate(file);
    expect(r.code).toBe(1);
    const line = text.split("\n").findIndex((l) => l.trim() === "frobnicate on") + 1;
    expect(parseCaddyError(r.stderr)).toBe(`Error: adapting config using caddyfile: ${file}:${line}: unrecognized directive: frobnicate`);
    // the temp path can be shown as the path on the host
    expect(parseCaddyError(r.stderr, { [file]: "/etc/caddy/sites/web.caddy" })).toBe(`Error: adapting config using caddyfile: /etc/caddy/sites/web.caddy:${line}: unrecognized directive: frobnicate`);
  });

  test("raw lines with quoted braces, placeholders and backticks stay inside the one site block", () => {
    const raw = ['respond /q "} not a close {" 200', "header X-Host {http.request.host}", "respond /b `a } b` 200", "@api {", "path /api/*", "}", "handle @api {", 'respond "api" 200', "}"];
    const file = write(join(freshDir("raw"), "site.caddy"), renderSite(parseSite(":8084", { raw, logs: false }), {}));
    const r = validate(file);
    expect(`${r.code} ${r.stdout.trim()}`, r.stderr).toBe("0 Valid configuration");
    const servers = (adapt(file) as { apps: { http: { servers: Record<string, { listen: string[] }> } } }).apps.http.servers;
    expect(Object.values(servers).map((x) => x.listen)).toEqual([[":8084"]]);
    expect(JSON.stringify(servers)).toContain('"body":"} not a close {"');
  });
});
