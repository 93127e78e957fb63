/**
 * The site model: what parses, what is refused, and that every refusal is ONE HostKitError naming
 * the site, the key and the declaration's file:line.
 */
import { describe, expect, test } from "bun:test";
import { checkSites, parseSite, type SiteOptions } from "../../src/caddy/site.ts";
import { parseAddress } from "../../src/caddy/address.ts";
import { HostKitError } from "../../src/model/errors.ts";

const at = { file: "infra/web.ts", line: 12 };

/** The one error message `parseSite` throws (and that it is a HostKitError with one diagnostic). */
function refusal(address: unknown, options: unknown): string {
  try {
    parseSite(address, options, { source: at });
  } catch (e) {
    expect(e).toBeInstanceOf(HostKitError);
    expect((e as HostKitError).diagnostics).toHaveLength(1);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(address)} ${JSON.stringify(options)}`);
}

describe("addresses", () => {
  test("the forms Caddy takes are parsed and normalized", () => {
    expect(parseAddress("Example.COM")).toEqual({ text: "example.com", host: "example.com" });
    expect(parseAddress("http://example.com")).toEqual({ text: "http://example.com", scheme: "http", host: "example.com" });
    expect(parseAddress("https://example.com:8443")).toEqual({ text: "https://example.com:8443", scheme: "https", host: "example.com", port: 8443 });
    expect(parseAddress(":8080")).toEqual({ text: ":8080", port: 8080 });
    expect(parseAddress("http://:8080")).toEqual({ text: "http://:8080", scheme: "http", port: 8080 });
    expect(parseAddress("*.example.com")).toEqual({ text: "*.example.com", host: "*.example.com" });
    expect(parseAddress("127.0.0.1:8080")).toEqual({ text: "127.0.0.1:8080", host: "127.0.0.1", port: 8080 });
    expect(parseAddress("[::1]:8080")).toEqual({ text: "[::1]:8080", host: "[::1]", port: 8080 });
    expect(parseAddress("localhost")).toEqual({ text: "localhost", host: "localhost" });
  });

  const hostile: [string, RegExp][] = [
    ['example.com"', /contains "\\"", which a site address cannot hold/],
    ["example.com\nevil.com", /contains whitespace/],
    ["example.com {", /contains whitespace/],
    ["example.com{", /contains "\{"/],
    ["}", /contains "\}"/],
    ["a b", /contains whitespace/],
    ["example..com", /empty domain label/],
    ["example.com/path", /has a path/],
    ["../etc/passwd", /has a path|empty domain label/],
    ["ftp://example.com", /scheme "ftp" is not http or https/],
    [":99999", /port "99999" is not 1–65535/],
    [":0", /port "0" is not 1–65535/],
    ["::1", /IPv6 address in brackets/],
    ["{$HOME}", /contains "\{"/],
    ["exa_mple.com", /contains "_"/],
    ["-bad.com", /is not a domain name/],
    ["", /empty/],
    ["example.com#x", /contains "#"/],
    ["'x'", /contains "'"/],
    ["ex\u0000ample", /contains "\\u0000"/],
  ];
  for (const [addr, why] of hostile) {
    test(`refused: ${JSON.stringify(addr)}`, () => {
      const msg = refusal(addr, {});
      expect(msg).toStartWith(`infra/web.ts:12: caddy_site ${JSON.stringify(addr)} › address: `);
      expect(msg).toMatch(why);
    });
  }

  test("aliases are checked the same way and named by index", () => {
    expect(refusal("example.com", { aliases: ["www.example.com", "evil.com\n}"] })).toMatch(/› aliases\[1\]: site address "evil.com\\n}" contains whitespace/);
    expect(refusal("example.com", { aliases: ["EXAMPLE.com"] })).toMatch(/› aliases\[0\]: address "EXAMPLE.com" is listed twice/);
  });
});

describe("paths", () => {
  const bad: [unknown, RegExp][] = [
    ["../web.caddy", /must be a file name inside the sites dir, not a path/],
    ["/etc/caddy/Caddyfile", /not a path/],
    ["..caddy", /may not contain "\.\."/],
    ["web", /must end in "\.caddy"/],
    [".hidden.caddy", /hidden file/],
    ['we"b.caddy', /may contain only letters/],
    ["web\n.caddy", /may contain only letters/],
    ["we b.caddy", /may contain only letters/],
    ["{web}.caddy", /may contain only letters/],
    [42, /expected a file name/],
  ];
  for (const [path, why] of bad) {
    test(`refused: ${JSON.stringify(path)}`, () => {
      const msg = refusal("example.com", { path });
      expect(msg).toStartWith(`infra/web.ts:12: caddy_site "example.com" › path: `);
      expect(msg).toMatch(why);
    });
  }
  test("the default file name comes from the address", () => {
    expect(parseSite("example.com", {}).path).toBe("example.com.caddy");
    expect(parseSite(":8080", {}).path).toBe("port-8080.caddy");
    expect(parseSite("http://app.internal:81", {}).path).toBe("app.internal-81.caddy");
    expect(parseSite("*.preview.example.com", {}).path).toBe("wildcard.preview.example.com.caddy");
    expect(parseSite("[::1]:8080", {}).path).toBe("__1-8080.caddy");
  });
  test("root is an absolute path with no .. or hostile characters", () => {
    expect(refusal("example.com", { root: "srv/www", fileServer: true })).toMatch(/› root: "srv\/www" must be an absolute path/);
    expect(refusal("example.com", { root: "/srv/../etc", fileServer: true })).toMatch(/› root: .*may not contain "\." or "\.\." segments/);
    expect(refusal("example.com", { root: "/srv/my site", fileServer: true })).toMatch(/› root: .*no spaces, quotes, braces/);
    expect(refusal("example.com", { root: "/srv/{$HOME}", fileServer: true })).toMatch(/› root: /);
    expect(refusal("example.com", { fileServer: true })).toMatch(/› fileServer: fileServer needs root/);
  });
});

describe("options", () => {
  test("the seed's example parses to the model", () => {
    const s = parseSite("example.com", { path: "web.caddy", encode: ["zstd", "gzip"], reverseProxy: "http", tls: "internal" });
    expect(s).toEqual({
      id: "example.com",
      addresses: [{ text: "example.com", host: "example.com" }],
      path: "web.caddy",
      upstream: { listener: "http" },
      encode: ["zstd", "gzip"],
      tls: { mode: "internal" },
      headers: [],
      root: undefined,
      fileServer: false,
      raw: [],
      monitor: undefined,
      telemetry: { logs: "access", metrics: "http" },
    });
  });
  test("unknown options and wrong types name the key", () => {
    expect(refusal("example.com", { reverse_proxy: "http" })).toMatch(/› reverse_proxy: unknown option \(expected path, aliases, reverseProxy/);
    expect(refusal("example.com", { encode: ["brotli"] })).toMatch(/› encode: expected true or a list of "zstd" and\/or "gzip"/);
    expect(refusal("example.com", { encode: [] })).toMatch(/› encode: expected at least one format/);
    expect(refusal("example.com", { logs: "json" })).toMatch(/› logs: expected "access" or false/);
    expect(refusal("example.com", { monitor: { http: { expect: { status: 700 } } } })).toMatch(/› monitor\.http\.expect\.status: 700 is not an HTTP status/);
    expect(refusal("example.com", { monitor: { severity: "fatal" } })).toMatch(/› monitor\.severity: expected "critical", "warning" or "info"/);
  });
  test("tls: internal, off, or an email; never silently ignored", () => {
    expect(parseSite("example.com", { tls: "ops@example.com" }).tls).toEqual({ mode: "email", email: "ops@example.com" });
    expect(refusal("example.com", { tls: "ops@example.com\n}" })).toMatch(/› tls: expected "internal", "off" or an email address/);
    expect(refusal("example.com", { tls: "on" })).toMatch(/› tls: expected "internal", "off" or an email address, got "on"/);
    expect(refusal("http://example.com", { tls: "internal" })).toMatch(/› tls: tls "internal" has no effect: every address of this site is http:\/\//);
    expect(refusal("https://example.com", { tls: "off" })).toMatch(/› address: address "https:\/\/example.com" is https:\/\/ but tls is "off"/);
  });
  test("reverseProxy names a listener or lists upstreams", () => {
    expect(parseSite("example.com", { reverseProxy: { to: "127.0.0.1:9000" } }).upstream).toEqual({ to: ["127.0.0.1:9000"] });
    expect(refusal("example.com", { reverseProxy: "127.0.0.1:4000" })).toMatch(/› reverseProxy: "127.0.0.1:4000" is not a listener name .* use \{ to: "127.0.0.1:9000" \}/);
    expect(refusal("example.com", { reverseProxy: { to: ["127.0.0.1:9000", "evil {"] } })).toMatch(/› reverseProxy\.to\[1\]: "evil \{" is not an upstream host:port/);
    expect(refusal("example.com", { reverseProxy: { to: [] } })).toMatch(/› reverseProxy\.to: expected at least one upstream/);
  });
  test("headers: names are tokens; values hold no brace, backslash or control character", () => {
    const s = parseSite("example.com", { headers: { "X-A": 'quoted "word"', Server: null } });
    expect(s.headers).toEqual([{ name: "X-A", value: 'quoted "word"' }, { name: "Server", value: null }]);
    expect(refusal("example.com", { headers: { "X A": "1" } })).toMatch(/› headers\.X A: "X A" is not a header name/);
    expect(refusal("example.com", { headers: { "-Server": "1" } })).toMatch(/is not a header name/);
    expect(refusal("example.com", { headers: { "X-A": "{$SECRET}" } })).toMatch(/› headers\.X-A: header value "\{\$SECRET\}" may not contain \{ \}/);
    expect(refusal("example.com", { headers: { "X-A": "a\nheader -Server" } })).toMatch(/› headers\.X-A: .*control characters/);
    expect(refusal("example.com", { headers: { "X-A": 'a\\"' } })).toMatch(/may not contain \{ \} \\ or control/);
    expect(refusal("example.com", { headers: { "X-A": "" } })).toMatch(/use null to remove the header/);
  });
  test("monitor: the url defaults to the first address; severity defaults to warning", () => {
    expect(parseSite("example.com", { monitor: { http: {} } }).monitor).toEqual({ severity: "warning", http: { url: "https://example.com/", status: 200 } });
    expect(parseSite(":8080", { monitor: { http: {} }, tls: "off" }).monitor?.http?.url).toBe("http://127.0.0.1:8080/");
    expect(parseSite("example.com", { tls: "off", monitor: { http: {}, severity: "critical" } }).monitor).toEqual({ severity: "critical", http: { url: "http://example.com/", status: 200 } });
    expect(refusal("example.com", { monitor: { http: { url: "ftp://x" } } })).toMatch(/› monitor\.http\.url: "ftp:\/\/x" must be an http/);
    expect(refusal("example.com", { monitor: { http: { url: "https://x/\n" } } })).toMatch(/› monitor\.http\.url: .*control characters/);
  });
  test("collection intent defaults to access logs and http metrics", () => {
    expect(parseSite("example.com", {}).telemetry).toEqual({ logs: "access", metrics: "http" });
    expect(parseSite("example.com", { logs: false, metrics: false }).telemetry).toEqual({ logs: false, metrics: false });
  });
  test("a non-string address is one error", () => {
    expect(refusal(42, {})).toMatch(/caddy_site "42" › address: expected the site address as a string, got number/);
  });
});

describe("raw directives", () => {
  const ok = (raw: SiteOptions["raw"]) => parseSite("example.com", { raw }).raw;
  test("lines and balanced blocks are kept, trimmed", () => {
    expect(ok("  skip_log /health  ")).toEqual(["skip_log /health"]);
    expect(ok(["handle /api/* {", "  respond 404", "}", 'respond "done" 200', "# note"])).toEqual(["handle /api/* {", "respond 404", "}", 'respond "done" 200', "# note"]);
    expect(ok(["header X-Host {http.request.host}", "respond `a}b` 200"])).toEqual(["header X-Host {http.request.host}", "respond `a}b` 200"]);
  });
  const bad: [SiteOptions["raw"], RegExp][] = [
    ["respond 200\n}\nevil.com {", /› raw: a raw line must be one line/],
    [["respond 200", "}"], /› raw\[1\]: raw line "}" closes a block no raw line opened \(it would end the site block\)/],
    [["handle {", "respond 1"], /› raw\[0\]: the block opened here is never closed in raw \(1 "}" missing\)/],
    ['respond "open', /› raw: raw line "respond \\"open": unterminated quoted string/],
    ["respond `open", /unterminated backtick string/],
    ["respond 200 \\", /ends in "\\", which would join it to the next line/],
    ["respond <<EOF", /opens a heredoc/],
    ["handle { respond 1 }", /"\{" may only end a line/],
    [["handle {", "respond 1 }"], /"}" must stand alone on its line/],
    ["import /etc/passwd", /imports a file; raw lines may import only a snippet by name/],
    ["import ../secrets/*", /imports a file/],
    ["", /the raw line is empty/],
    ["respond \u0007", /control character/],
  ];
  for (const [raw, why] of bad) {
    test(`refused: ${JSON.stringify(raw)}`, () => {
      const msg = refusal("example.com", { raw });
      expect(msg).toStartWith('infra/web.ts:12: caddy_site "example.com" › raw');
      expect(msg).toMatch(why);
    });
  }
  test("a snippet import by name is allowed", () => {
    expect(ok("import common")).toEqual(["import common"]);
  });
});

describe("sites on one host", () => {
  test("two sites with one file name, or one address, are refused naming both", () => {
    const a = parseSite("a.example.com", { path: "web.caddy" });
    const b = parseSite("b.example.com", { path: "web.caddy" });
    expect(() => checkSites([{ site: a }, { site: b, ctx: { source: at } }])).toThrow('infra/web.ts:12: caddy_site "b.example.com" › path: file "web.caddy" is already used by caddy_site "a.example.com"');
    const c = parseSite("c.example.com", { aliases: ["a.example.com"] });
    expect(() => checkSites([{ site: a }, { site: c }])).toThrow('caddy_site "c.example.com" › address: address "a.example.com" is also served by caddy_site "a.example.com" (Caddy: ambiguous site definition)');
    expect(() => checkSites([{ site: a }, { site: parseSite("c.example.com", {}) }])).not.toThrow();
  });
});

test("a quoted << is text, not a heredoc", () => {
  expect(parseSite("example.com", { raw: 'respond "a <<b" 200' }).raw).toEqual(['respond "a <<b" 200']);
});
