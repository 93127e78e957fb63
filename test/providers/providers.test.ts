/**
 * The provider contract through the compiled binary: a user's own provider (examples/providers/motd.ts,
 * written only with what "hostkit" exports) next to the built-in "hostkit/caddy"; both typed by tsc
 * after `hostkit init`; declarations without their provider, hostile site values and unknown
 * listeners are one clear error at the infra file's line; dump and render show provider resources.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hk, leaks } from "../helpers/binary.ts";
import { REPO } from "../helpers/cli.ts";
import { tsc } from "../helpers/tsc.ts";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hostkit-providers-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe("a user's own provider (examples/providers)", () => {
  let copy = "";
  beforeAll(async () => {
    copy = join(dir, "user-repo");
    cpSync(join(REPO, "examples/providers"), copy, { recursive: true });
    const r = await hk(["init", copy]);
    expect(r.stderr).toBe("");
  }, 180_000);

  test("tsc type-checks it and the Caddy declarations after hostkit init, and rejects wrong options", async () => {
    expect(await tsc(copy)).toEqual({ code: 0, out: "" });
    writeFileSync(join(copy, "wrong.ts"), `import { project } from "hostkit";
import { caddy } from "hostkit/caddy";
import { motd } from "./motd.ts";
export default project("w", (p) => {
  p.add(motd.line("x", { ordr: 1 }));
  p.add(caddy.site("example.com", { encode: ["brotli"] }));
  p.provider({ name: "not a provider" });
});
`);
    const r = await tsc(copy);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("wrong.ts(5,");
    expect(r.out).toContain("'ordr' does not exist");
    expect(r.out).toContain("wrong.ts(6,");
    expect(r.out).toContain('"brotli"');
    expect(r.out).toContain("wrong.ts(7,");
    rmSync(join(copy, "wrong.ts"));
  }, 120_000);

  test("it applies through the binary into an offline root, and a second plan has nothing to change", async () => {
    const root = join(dir, "root");
    const file = join(copy, "infra.ts");
    const a = await hk(["apply", file, "--root", root, "--confirm"]);
    expect(leaks(a.stderr)).toEqual([]);
    expect(a.code).toBe(0);
    expect(readFileSync(join(root, "etc/motd"), "utf8")).toBe("edge: managed by HostKit\nweb: https://web.example (Caddy → 127.0.0.1:4000)\nstatus page: http://status.internal/\n");
    expect(readFileSync(join(root, "etc/caddy/sites/web.caddy"), "utf8")).toContain("\ttls internal\n");
    expect(readFileSync(join(root, "etc/caddy/sites/web.caddy"), "utf8")).toContain("\treverse_proxy 127.0.0.1:4000\n");
    expect(readFileSync(join(root, "etc/caddy/Caddyfile"), "utf8")).toBe("# Added by HostKit: the sites it manages, one file each. Keep this import.\nimport /etc/caddy/sites/*.caddy\n");
    const p = await hk(["plan", file, "--root", root]);
    expect(p.stdout).toContain("No changes.");
  }, 120_000);
});

describe("mistakes are one clear error at the infra file's line", () => {
  const head = `import { project } from "hostkit";\nimport { caddy } from "hostkit/caddy";\n`;

  test("a declaration whose provider is not registered", async () => {
    const f = write("unregistered.ts", `${head}export default project("u", (p) => {
  p.service("web", (s) => {
    s.add(caddy.site("example.com", {}));
  });
});
`);
    const r = await hk(["plan", f, "--root", join(dir, "r1")]);
    expect(r.code).toBe(1);
    expect(leaks(r.stderr)).toEqual([]);
    expect(r.stderr).toContain("unregistered.ts:5");
    expect(r.stderr).toContain('service "web" › caddy_site "example.com": provider "caddy" is not registered');
    expect(r.stderr).toContain("p.provider(caddy({ … }))");
  });

  test("hostile addresses and paths are refused at load time, each at its line, nothing rendered", async () => {
    const f = write("hostile.ts", `${head}export default project("h", (p) => {
  p.provider(caddy());
  p.add(caddy.site('example.com"', {}));
  p.add(caddy.site("example.com\\nimport /etc/shadow", {}));
  p.add(caddy.site("example.com {", {}));
  p.add(caddy.site("}", {}));
  p.add(caddy.site("ok.example", { path: "../../etc/cron.d/x.caddy" }));
  p.add(caddy.site("ok2.example", { headers: { X: "{$SECRET}" } }));
  p.add(caddy.site("ok3.example", { root: "/srv/a b" }));
});
`);
    const r = await hk(["dump", f]);
    expect(r.code).toBe(1);
    expect(leaks(r.stderr)).toEqual([]);
    for (const line of [5, 6, 7, 8, 9, 10, 11]) expect(r.stderr).toContain(`hostile.ts:${line}`);
    expect(r.stdout).toBe("");
  });

  test("an unknown listener names the site and the listeners the service declares", async () => {
    const f = write("listener.ts", `${head}export default project("l", (p) => {
  p.provider(caddy());
  p.service("web", (s) => {
    s.daemon({ exec: ["/bin/true"], listen: { http: { port: 4000 } } });
    s.add(caddy.site("example.com", { reverseProxy: "admin" }));
  });
});
`);
    const r = await hk(["dump", f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("listener.ts:7");
    expect(r.stderr).toContain('unknown listener "admin" for caddy_site "example.com" (the service declares "http"');
  });
});

describe("dump and render show provider resources", () => {
  test("dump lists caddy resources with their sources and monitoring intent; --json carries it", async () => {
    const f = join(REPO, "examples/caddy.ts");
    const r = await hk(["dump", f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("caddy_site:example.com  example.com → 127.0.0.1:4000  file /etc/caddy/sites/web.caddy; monitor http https://example.com/health expect 200 (critical); logs: access, metrics: http  (examples/caddy.ts:14)");
    expect(r.stdout).toContain("caddy_import:/etc/caddy/Caddyfile  import /etc/caddy/sites/*.caddy  (examples/caddy.ts:14)");
    const j = JSON.parse((await hk(["dump", f, "--json"])).stdout) as { resources: { key: string; monitor?: unknown; telemetry?: unknown }[] };
    const site = j.resources.find((x) => x.key === "caddy_site:example.com")!;
    expect(site.monitor).toEqual({ severity: "critical", http: { url: "https://example.com/health", status: 200 } });
    expect(site.telemetry).toEqual({ logs: "access", metrics: "http" });
  });

  test("render FILE caddy_site ID prints the site file", async () => {
    const r = await hk(["render", join(REPO, "examples/caddy.ts"), "caddy_site", "example.com"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('# Managed by HostKit: caddy_site "example.com". Edits here are replaced on the next apply.\nexample.com {\n\tencode zstd gzip\n\treverse_proxy 127.0.0.1:4000\n\tlog {\n\t\toutput file /var/log/caddy/web.access.log\n\t\tformat json\n\t}\n}\n');
  });
});
