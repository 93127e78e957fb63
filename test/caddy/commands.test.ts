/**
 * Command argv as data, Caddy's error line taken from its real output, and the activation sequence:
 * a config Caddy rejects at validation puts every previous file back byte for byte (new files
 * removed), run against real files and Debian's real `caddy validate`.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { mainCaddyfile, renderSite } from "../../src/caddy/caddyfile.ts";
import { activation, caddyReloadArgv, parseCaddyError, reloadArgv, reloadDiagnosticsArgv, runActivation, validateArgv, type Step } from "../../src/caddy/commands.ts";
import { parseSite } from "../../src/caddy/site.ts";
import { caddyUnavailable, freshDir, localIO, run, validate, write } from "./caddy.ts";

const skip = caddyUnavailable("test/caddy/commands.test.ts");

describe("argv", () => {
  test("validate runs as the caddy user with the caddyfile adapter; reload is a reload", () => {
    expect(validateArgv("/etc/caddy/Caddyfile")).toEqual(["runuser", "-u", "caddy", "--", "caddy", "validate", "--adapter", "caddyfile", "--config", "/etc/caddy/Caddyfile"]);
    expect(validateArgv("/tmp/x.caddy", { user: null, caddy: "/usr/bin/caddy" })).toEqual(["/usr/bin/caddy", "validate", "--adapter", "caddyfile", "--config", "/tmp/x.caddy"]);
    expect(reloadArgv()).toEqual(["systemctl", "reload", "caddy"]);
    expect(reloadDiagnosticsArgv()).toEqual(["journalctl", "--unit", "caddy", "--lines", "50", "--no-pager", "--output", "cat"]);
    expect(caddyReloadArgv("/c/Caddyfile", { address: "127.0.0.1:2999" })).toEqual(["caddy", "reload", "--adapter", "caddyfile", "--config", "/c/Caddyfile", "--address", "127.0.0.1:2999"]);
  });
});

describe("parseCaddyError", () => {
  test("outputs recorded in integrations.md §1.5/§1.7", () => {
    const reload =
      '{"level":"info","ts":1795642664.08,"msg":"using provided configuration","config_file":"/tmp/caddyrun/Caddyfile","config_adapter":"caddyfile"}\nError: sending configuration to instance: caddy responded with error: HTTP 400: {"error":"loading config: loading new config: http app module: start: listening on 127.0.0.1:18081: listen tcp 127.0.0.1:18081: bind: address already in use"}\n';
    expect(parseCaddyError(reload)).toBe('Error: sending configuration to instance: caddy responded with error: HTTP 400: {"error":"loading config: loading new config: http app module: start: listening on 127.0.0.1:18081: listen tcp 127.0.0.1:18081: bind: address already in use"}');
    // systemctl's own complaint is not Caddy's line; the journal's Error: line is
    const journal = 'Job for caddy.service failed because the control process exited with error code.\n{"level":"info","msg":"using provided configuration"}\nError: adapting config using caddyfile: /etc/caddy/sites/app.caddy:4: unrecognized directive: respnd\ncaddy.service: Control process exited, code=exited, status=1/FAILURE';
    expect(parseCaddyError(journal)).toBe("Error: adapting config using caddyfile: /etc/caddy/sites/app.caddy:4: unrecognized directive: respnd");
    expect(parseCaddyError('{"level":"error","ts":1,"msg":"loading config","error":"bad thing"}\n')).toBe("Error: loading config: bad thing");
    expect(parseCaddyError('{"level":"info","msg":"ok"}\nValid configuration\n')).toBeUndefined();
    expect(parseCaddyError("")).toBeUndefined();
  });

  test.skipIf(skip)("Caddy's real output for a missing file and a bad directive", () => {
    const missing = validate("/nonexistent-hostkit/Caddyfile");
    expect(missing.code).toBe(1);
    expect(parseCaddyError(missing.stderr)).toBe("Error: reading config file: open /nonexistent-hostkit/Caddyfile: no such file or directory");
    const f = write(join(freshDir("bad"), "bad.caddy"), ":8080 {\n\treverse_prox 127.0.0.1:1\n}\n");
    expect(parseCaddyError(validate(f).stderr)).toBe(`Error: adapting config using caddyfile: ${f}:2: unrecognized directive: reverse_prox`);
  });
});

describe("activation as data", () => {
  test("write the changed files, validate the whole config, reload; restores in reverse", () => {
    const a = activation([
      { path: "/etc/caddy/Caddyfile", content: "new main", previous: "old main" },
      { path: "/etc/caddy/sites/web.caddy", content: "site", previous: null },
      { path: "/etc/caddy/sites/same.caddy", content: "same", previous: "same" },
      { path: "/etc/caddy/sites/gone.caddy", content: null, previous: "gone" },
    ]);
    const reload: Step = { do: "reload", argv: ["systemctl", "reload", "caddy"], diagnose: reloadDiagnosticsArgv() };
    expect(a.apply).toEqual([
      { do: "write", path: "/etc/caddy/Caddyfile", content: "new main", mode: 0o644 },
      { do: "write", path: "/etc/caddy/sites/web.caddy", content: "site", mode: 0o644 },
      { do: "remove", path: "/etc/caddy/sites/gone.caddy" },
      { do: "validate", argv: validateArgv("/etc/caddy/Caddyfile") },
      reload,
    ]);
    const restore: Step[] = [
      { do: "write", path: "/etc/caddy/sites/gone.caddy", content: "gone", mode: 0o644 },
      { do: "remove", path: "/etc/caddy/sites/web.caddy" },
      { do: "write", path: "/etc/caddy/Caddyfile", content: "old main", mode: 0o644 },
    ];
    expect(a.restoreAfterValidate).toEqual(restore);
    expect(a.restoreAfterReload).toEqual([...restore, reload]);
  });

  test("nothing changed: nothing to run, not even a reload", () => {
    expect(activation([{ path: "/a", content: "x", previous: "x" }])).toEqual({ apply: [], restoreAfterValidate: [], restoreAfterReload: [] });
  });
});

describe.skipIf(skip)("a config Caddy rejects is never left in place", () => {
  test("validation fails: Caddy's line (host path), every previous file back byte for byte", async () => {
    const dir = freshDir("act");
    const sites = join(dir, "sites");
    mkdirSync(sites);
    const mainPath = join(dir, "Caddyfile");
    const mainBefore = ':9 {\n\trespond "host site"\n}\n';
    write(mainPath, mainBefore);
    const keep = parseSite(":8081", { reverseProxy: "http", logs: false });
    const keepBefore = renderSite(keep, { http: { port: 4000 } });
    write(join(sites, keep.path), keepBefore);
    const bad = parseSite(":8082", { raw: ["frobnicate on"], logs: false });
    const changed = renderSite(keep, { http: { port: 4001 } });
    const a = activation(
      [
        { path: mainPath, content: mainCaddyfile(mainBefore, sites, { mainPath }).content, previous: mainBefore },
        { path: join(sites, keep.path), content: changed, previous: keepBefore },
        { path: join(sites, bad.path), content: renderSite(bad, {}), previous: null },
      ],
      { mainPath, user: null, reload: ["false"] },
    );
    const res = await runActivation(a, localIO, { [sites]: "/etc/caddy/sites" });
    expect(res).toEqual({ ok: false, stage: "validate", error: "Error: adapting config using caddyfile: /etc/caddy/sites/port-8082.caddy:4: unrecognized directive: frobnicate", restored: true });
    expect(readFileSync(mainPath, "utf8")).toBe(mainBefore);
    expect(readFileSync(join(sites, keep.path), "utf8")).toBe(keepBefore);
    expect(existsSync(join(sites, bad.path))).toBe(false);
  });

  test("a valid change is written with its mode and passes validation", async () => {
    const dir = freshDir("ok");
    const mainPath = join(dir, "Caddyfile");
    const sites = join(dir, "sites");
    mkdirSync(sites);
    const site = parseSite(":8083", { reverseProxy: "http", logs: false });
    const a = activation(
      [
        { path: mainPath, content: mainCaddyfile(null, sites, { mainPath }).content, previous: null },
        { path: join(sites, site.path), content: renderSite(site, { http: { port: 4000 } }), previous: null, mode: 0o640 },
      ],
      { mainPath, user: null, reload: ["true"] },
    );
    expect(await runActivation(a, localIO)).toEqual({ ok: true, steps: 4 });
    expect(statSync(join(sites, site.path)).mode & 0o777).toBe(0o640);
    expect(run(["caddy", "validate", "--adapter", "caddyfile", "--config", mainPath]).code).toBe(0);
  });
});
