/**
 * Issue 13 on a real systemd host (Incus container hostkit-it-caddy), through the compiled binary:
 * the seed's provider example adapted to the container (an http:// address: no CA is reachable) —
 * one apply writes the site, starts a python3 http.server daemon on 127.0.0.1:4000 and reloads
 * Caddy; a request from the controller through an Incus proxy (controller port → container :80)
 * returns the daemon's page. Then: a second plan has nothing to change; a new listener port
 * updates site and daemon and the request still succeeds; `down --last` brings the previous site
 * back and it serves; a site Caddy rejects (a raw directive) fails the apply with Caddy's own error
 * line and Caddy keeps serving the previous configuration.
 *
 * Caddy itself is installed by the apply (`s.package("caddy", { as: "caddy" })`: the exact Debian
 * name, so no Repology lookup): the setup removes it first, so the first apply really installs it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { announceSkip, ENABLED, hostkit, mustHost, onHost, removeTempDirs, SETUP_MS, stackLines, tempDir, TEST_MS, writeInfra, type Host } from "./harness.ts";
import { remoteFlags } from "./fixtures.ts";

announceSkip("test/integration/caddy.test.ts");

const INSTANCE = "hostkit-it-caddy";
const SSH_PORT = 2252;
const HTTP_PORT = 2253; // controller 127.0.0.1:2253 → container 127.0.0.1:80
const PAGE = "hello from the hostkit caddy test daemon";

const INFRA = `import { project } from "hostkit";
import { caddy } from "hostkit/caddy";

const port = Number(process.env.APP_PORT ?? "4000");
const raw = process.env.RAW ? [process.env.RAW] : [];

export default project("caddyit", (p) => {
  p.provider(caddy({ sitesDir: "/etc/caddy/sites" }));
  p.service("app", (s) => {
    s.package("caddy", { as: "caddy" });
    s.file("/srv/caddyit/index.html", { content: ${JSON.stringify(`${PAGE}\n`)} });
    s.daemon({
      exec: ["/usr/bin/python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", "/srv/caddyit"],
      listen: { http: { port, on: "loopback" } },
    });
    s.add(caddy.site("http://app.test", { path: "app.caddy", encode: ["zstd", "gzip"], reverseProxy: "http", raw,
      monitor: { http: { url: "http://app.test/", expect: { status: 200 } }, severity: "critical" } }));
  });
});
`;

/** curl through the proxy with the site's Host: the body, or the failure. */
async function request(): Promise<string> {
  const p = Bun.spawn(["curl", "-sS", "--max-time", "10", "-H", "Host: app.test", `http://127.0.0.1:${HTTP_PORT}/index.html`], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return code === 0 ? out : `curl exit ${code}: ${err}`;
}

describe.skipIf(!ENABLED)("Caddy provider on a real host", () => {
  let h: Host;
  let flags: string[];
  let file = "";
  let dir = "";
  const run = (args: string[], env: Record<string, string> = {}) => hostkit([...args, ...flags], { cwd: dir, env, waitForLock: true });

  beforeAll(async () => {
    h = await mustHost({ name: INSTANCE, port: SSH_PORT });
    dir = tempDir("hk-caddy-");
    flags = remoteFlags(h, join(dir, "known_hosts"));
    file = writeInfra(dir, "infra.ts", INFRA);
    // A clean host: no daemon, no site, no Caddy (its config too).
    await onHost(h, "systemctl disable --now app.service 2>/dev/null; rm -f /etc/systemd/system/app.service; systemctl daemon-reload; rm -rf /srv/caddyit; DEBIAN_FRONTEND=noninteractive apt-get purge -y -q caddy >/dev/null 2>&1; rm -rf /etc/caddy /var/lib/caddy /var/log/caddy; true");
    if (h.instance) {
      const r = Bun.spawnSync(["incus", "config", "device", "show", h.instance], { stdout: "pipe" });
      if (!r.stdout.toString().includes("caddyit-http:")) {
        const add = Bun.spawnSync(["incus", "config", "device", "add", h.instance, "caddyit-http", "proxy", `listen=tcp:127.0.0.1:${HTTP_PORT}`, "connect=tcp:127.0.0.1:80"], { stdout: "pipe", stderr: "pipe" });
        if (add.exitCode !== 0) throw new Error(`incus proxy device: ${add.stderr.toString()}`);
      }
    }
    // From a host without Caddy: the first apply installs it (and keeps the sites dir it made).
    await onHost(h, "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q caddy >/dev/null 2>&1; rm -rf /etc/caddy; true");
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await h.sh("systemctl disable --now app.service 2>/dev/null; rm -f /etc/systemd/system/app.service /etc/caddy/sites/app.caddy; systemctl daemon-reload; systemctl reload caddy; true");
    removeTempDirs();
  }, TEST_MS);

  const caddyPid = async () => (await onHost(h, "systemctl show --property MainPID --value caddy.service")).trim();

  test("one apply writes the site, starts the daemon, reloads Caddy: the request returns the daemon's page", async () => {
    const r = await run(["apply", file, "--confirm", "--track"]);
    expect(stackLines(r.stderr)).toEqual([]);
    expect({ code: r.code, out: r.code ? r.stdout + r.stderr : "" }).toEqual({ code: 0, out: "" });
    expect(r.stdout).toContain("+ package:caddy");
    expect((await onHost(h, "dpkg-query -W -f '${Status}' caddy")).trim()).toBe("install ok installed");
    expect(r.stdout + r.stderr).toContain("service_state:caddy.service  reload (not restart): Caddy site http://app.test written");
    expect(await request()).toBe(`${PAGE}\n`);
    // Debian's own :80 site is untouched next to ours; the main Caddyfile gained only the marked import
    const main = await onHost(h, "cat /etc/caddy/Caddyfile");
    expect(main).toContain(":80 {");
    expect(main.trimEnd().endsWith("# Added by HostKit: the sites it manages, one file each. Keep this import.\nimport /etc/caddy/sites/*.caddy")).toBe(true);
    expect(await onHost(h, "cat /etc/caddy/sites/app.caddy")).toContain("reverse_proxy 127.0.0.1:4000");
  }, TEST_MS);

  test("a second plan has nothing to change", async () => {
    const r = await run(["plan", file, "--detailed-exitcode"]);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.stdout).toMatch(/No changes/);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("caddy_site");
  }, TEST_MS);

  test("a new listener port updates the site and the daemon; the request still succeeds", async () => {
    const pid = await caddyPid();
    const r = await run(["apply", file, "--confirm", "--track"], { APP_PORT: "4001" });
    expect({ code: r.code, out: r.code ? r.stdout + r.stderr : "" }).toEqual({ code: 0, out: "" });
    expect(r.stdout + r.stderr).toContain("caddy_site:http://app.test");
    expect(await caddyPid()).toBe(pid); // reloaded, not restarted: the same process
    expect(await onHost(h, "cat /etc/caddy/sites/app.caddy")).toContain("reverse_proxy 127.0.0.1:4001");
    expect(await onHost(h, "ss -Hltn 'sport = :4001' | wc -l")).toBe("1\n");
    expect(await request()).toBe(`${PAGE}\n`);
  }, TEST_MS);

  test("down --last brings the previous site back and it serves", async () => {
    const d = await run(["down", "--last", "--out", join(dir, "down.json"), file], { APP_PORT: "4001" });
    expect({ code: d.code, err: d.code ? d.stderr : "" }).toEqual({ code: 0, err: "" });
    const a = await run(["apply", "--plan", join(dir, "down.json"), "--confirm"]);
    expect({ code: a.code, out: a.code ? a.stdout + a.stderr : "" }).toEqual({ code: 0, out: "" });
    expect(a.stdout + a.stderr).toContain("service_state:caddy.service  reload (not restart)");
    expect(await onHost(h, "cat /etc/caddy/sites/app.caddy")).toContain("reverse_proxy 127.0.0.1:4000");
    expect(await request()).toBe(`${PAGE}\n`);
  }, TEST_MS);

  test("a site Caddy rejects fails the apply with Caddy's error line; the previous site stays and serves", async () => {
    const before = await onHost(h, "cat /etc/caddy/sites/app.caddy");
    const r = await run(["apply", file, "--confirm"], { RAW: "no_such_directive on" });
    expect(r.code).toBe(1);
    expect(stackLines(r.stderr)).toEqual([]);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/Error: adapting config using caddyfile: .*no_such_directive/);
    expect(out).toContain("the previous site file is back and Caddy was not reloaded");
    expect(await onHost(h, "cat /etc/caddy/sites/app.caddy")).toBe(before);
    expect(await request()).toBe(`${PAGE}\n`);
    // and nothing is left to do for the valid declaration
    const p = await run(["plan", file]);
    expect(p.stdout).toMatch(/No changes/);
  }, TEST_MS);
});
