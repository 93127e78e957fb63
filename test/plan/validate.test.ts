/**
 * Plan-time validation (issue 10, item 6) on offline roots through the compiled binary: what could only
 * fail at apply is one plan error naming the resource, its file:line and the target, and nothing is
 * applied. The pure parts (live-host account groups, address overlap) are tested with facts in, problems out.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, hk, infra, tempDir } from "../down/helpers.ts";
import { leaks } from "../helpers/binary.ts";
import { cannotRun } from "../helpers/real-host.ts";
import { overlaps, planProblems } from "../../src/plan/validate.ts";
import { parseFacts } from "../../src/plan/facts.ts";
import type { Account } from "../../src/kinds/account.ts";
import type { Resource } from "../../src/model/resource.ts";

afterAll(cleanup);

/** Plan and apply `body` on a fresh root (prepared by `prepare`): both refused, with exactly `errors`. */
async function refused(name: string, body: string, errors: string[], prepare: (root: string) => void = () => {}) {
  const dir = tempDir(name);
  const root = join(dir, "root");
  mkdirSync(root);
  prepare(root);
  const before = readdirSync(root, { recursive: true }).sort();
  infra(dir, "infra.ts", body);
  for (const verb of [["plan"], ["apply", "--confirm"]]) {
    const r = await hk([...verb, "infra.ts", "--root", root], { cwd: dir });
    expect({ verb: verb[0], code: r.code, stdout: r.stdout }).toEqual({ verb: verb[0], code: 1, stdout: "" });
    expect(r.stderr).toBe(errors.map((e) => `error: ${e.replaceAll("$ROOT", root)}\n`).join(""));
    expect(leaks(r.stderr)).toEqual([]);
  }
  // Nothing applied: the tree holds exactly what it held (no file, no account, no state record).
  expect(readdirSync(root, { recursive: true }).sort()).toEqual(before);
}

/** The same body with the mistake fixed plans without error. */
async function accepted(name: string, body: string, prepare: (root: string) => void = () => {}) {
  const dir = tempDir(name);
  const root = join(dir, "root");
  mkdirSync(root);
  prepare(root);
  infra(dir, "infra.ts", body);
  const r = await hk(["plan", "infra.ts", "--root", root], { cwd: dir });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
}

const project = (lines: string) => `export default project("v", (p) => {\n${lines}\n});`;

describe("owners and groups", () => {
  test("an owner that exists nowhere: one error (not one more for its default group); declared as an account, it plans", async () => {
    await refused("owner", project(`  p.file("/etc/v/a.conf", { content: "a\\n", owner: "ghost" });`), [
      `infra.ts:3: file:/etc/v/a.conf: user "ghost" exists neither on the target nor among the accounts declared for it (--root $ROOT)\n  hint: declare it (p.account("ghost", …)) or name an existing user`,
    ]);
    await accepted("owner-ok", project(`  p.account("ghost", { system: true });\n  p.file("/etc/v/a.conf", { content: "a\\n", owner: "ghost" });`));
  });

  test("a group that exists nowhere (directory and env file); one the tree has plans", async () => {
    const body = project(`  p.directory("/srv/v", { group: "ops" });\n  p.envFile("/etc/v/env", { set: { A: "1" }, group: "ops" });`);
    const hint = "\n  hint: name an existing group, or an account whose own group it is";
    await refused("group", body, [
      `infra.ts:3: directory:/srv/v: group "ops" exists neither on the target nor among the accounts declared for it (--root $ROOT)${hint}`,
      `infra.ts:4: env_file:/etc/v/env: group "ops" exists neither on the target nor among the accounts declared for it (--root $ROOT)${hint}`,
    ]);
    await accepted("group-ok", body, (root) => {
      mkdirSync(join(root, "etc"));
      writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
      writeFileSync(join(root, "etc/group"), "root:x:0:\nops:x:1200:\n");
    });
  });

  test("a unit's User= that exists nowhere", async () => {
    await refused("unit-user", project(`  p.timer("w", { onCalendar: "daily", exec: ["/bin/true"], user: "nobody2" });`), [
      `infra.ts:3: systemd_service:w.service: user "nobody2" exists neither on the target nor among the accounts declared for it (--root $ROOT)\n  hint: declare it (p.account("nobody2", …)) or name an existing user`,
    ]);
  });

  const facts = parseFacts([
    { code: 0, stdout: new TextEncoder().encode("root:x:0:0::/root:/bin/sh\n"), stderr: new Uint8Array() },
    { code: 0, stdout: new TextEncoder().encode("root:x:0:\n"), stderr: new Uint8Array() },
  ]);
  const acct: Account = { type: "account", id: "relay", name: "relay", system: true, groups: ["docker"], rollback: "keep", source: { file: "infra.ts", line: 3 } } as Account;

  test("live host: a supplementary group the host lacks fails useradd, so it is a plan error; an offline tree creates it", () => {
    const problems = (root?: string) => planProblems({ observed: [{ resource: acct as Resource, fact: { groups: [], groupExists: false }, basis: "" }], declared: [acct as Resource], facts, checks: new Map(), ctx: root ? { root } : {}, host: "host web1" });
    expect(problems().map((d) => `${d.subject}: ${d.message}`)).toEqual(['account:relay: group "docker" exists neither on the target nor among the accounts declared for it (host web1)']);
    expect(problems("/srv/image")).toEqual([]);
  });
});

describe("another object at a declared path", () => {
  const tree = (make: (root: string) => void) => (root: string) => {
    mkdirSync(join(root, "srv/v"), { recursive: true });
    make(root);
  };

  test("a regular file where a directory is declared", async () => {
    await refused("dir-over-file", project(`  p.directory("/srv/v/data");`), [
      "infra.ts:3: directory:/srv/v/data: a regular file exists at /srv/v/data, where a directory is declared: HostKit does not replace it (--root $ROOT)",
    ], tree((root) => writeFileSync(join(root, "srv/v/data"), "keep me\n")));
  });

  test("a directory where a file or an env file is declared", async () => {
    await refused("file-over-dir", project(`  p.file("/srv/v/app.conf", { content: "x" });\n  p.envFile("/srv/v/app.env", { set: { A: "1" } });`), [
      "infra.ts:3: file:/srv/v/app.conf: a directory exists at /srv/v/app.conf, where a file is declared: HostKit does not replace it (--root $ROOT)",
      "infra.ts:4: env_file:/srv/v/app.env: a directory exists at /srv/v/app.env, where a file is declared: HostKit does not replace it (--root $ROOT)",
    ], tree((root) => {
      mkdirSync(join(root, "srv/v/app.conf"));
      mkdirSync(join(root, "srv/v/app.env"));
    }));
  });

  test("one path declared twice, as a file and as a directory", async () => {
    await refused("twice", project(`  p.directory("/srv/v/x");\n  p.file("/srv/v/x", { content: "x" });`), [
      "infra.ts:4: file:/srv/v/x: /srv/v/x is also declared as directory:/srv/v/x at infra.ts:3 (--root $ROOT)\n  hint: one path holds one thing: remove one of the two declarations",
    ]);
  });
});

const noAnalyze = Bun.which("systemd-analyze") ? false : "systemd-analyze is not installed on this machine (apt-get install systemd)";

describe.skipIf(cannotRun("test/plan/validate.test.ts (calendar)", noAnalyze))("calendar specs, checked by systemd-analyze on the target", () => {
  test("a spec the load-time checks pass but systemd cannot parse is a plan error; every valid one in the same plan is not named", async () => {
    const body = project(["daily", "Mon..Fri 25:00", "*-*-* 03:15:00", "Sat,Sun 99:00"].map((s, i) => `  p.timer("t${i}", { onCalendar: ${JSON.stringify(s)}, exec: ["/bin/true"] });`).join("\n"));
    await refused("calendar", body, [
      "infra.ts:4: systemd_timer:t1.timer: OnCalendar=Mon..Fri 25:00: the target's systemd cannot parse it (systemd-analyze calendar: Invalid argument) (--root $ROOT)",
      "infra.ts:6: systemd_timer:t3.timer: OnCalendar=Sat,Sun 99:00: the target's systemd cannot parse it (systemd-analyze calendar: Invalid argument) (--root $ROOT)",
    ]);
  });

  test("the valid specs alone plan", async () => {
    await accepted("calendar-ok", project(["daily", "weekly", "*-*-* 03:15:00", "Mon..Fri *-*-* 09:00", "hourly"].map((s, i) => `  p.timer("t${i}", { onCalendar: ${JSON.stringify(s)}, exec: ["/bin/true"] });`).join("\n")));
  });
});

describe("listener ports, per host", () => {
  const daemons = (a: string, b: string) => project(`  p.service("web", (s) => { s.daemon({ exec: ["/bin/sleep", "60"], listen: { http: { port: 8080, on: ${a} } } }); });\n  p.service("api", (s) => { s.daemon({ exec: ["/bin/sleep", "60"], listen: { http: { port: 8080, on: ${b} } } }); });`);

  test("two daemons on one port, every address and loopback: one error naming both", async () => {
    await refused("ports", daemons('"any"', '"loopback"'), [
      'infra.ts:4: systemd_service:api.service: listener "http" (loopback:8080) clashes with listener "http" (any:8080) of systemd_service:web.service at infra.ts:3 (--root $ROOT)\n  hint: two daemons of one host cannot listen on one port: change one port or address',
    ]);
  });

  const caddyProject = (daemonPort: number, sites: string[]) => `import { caddy } from "hostkit/caddy";
export default project("v", (p) => {
  p.provider(caddy({ sitesDir: "/etc/caddy/sites" }));
  p.service("web", (s) => {
    s.daemon({ exec: ["/bin/sleep", "60"], listen: { http: { port: ${daemonPort}, on: "any" } } });
${sites.map((a, i) => `    s.add(caddy.site(${JSON.stringify(a)}, { path: "s${i}.caddy", reverseProxy: "http" }));`).join("\n")}
  });
});`;

  test("a daemon on a port Caddy serves a site on: an error; Caddy's sites share their ports", async () => {
    await refused("caddy-port", caddyProject(443, ["example.com", "example.org"]), [
      'infra.ts:7: caddy_site:example.com: listener "caddy site example.com" (any:443) clashes with listener "http" (any:443) of systemd_service:web.service at infra.ts:6 (--root $ROOT)\n  hint: two daemons of one host cannot listen on one port: change one port or address',
      'infra.ts:8: caddy_site:example.org: listener "caddy site example.org" (any:443) clashes with listener "http" (any:443) of systemd_service:web.service at infra.ts:6 (--root $ROOT)\n  hint: two daemons of one host cannot listen on one port: change one port or address',
    ]);
    await accepted("caddy-port-ok", caddyProject(4000, ["example.com", "example.org", "http://intranet.test", ":8080"]));
  });

  test("one port on two distinct addresses plans", async () => {
    await accepted("ports-ok", daemons('"loopback"', '"10.0.0.5"'));
  });

  test("which addresses overlap", () => {
    const table: [string, string, boolean][] = [
      ["any", "loopback", true],
      ["0.0.0.0", "10.0.0.5", true],
      ["loopback", "127.0.0.1", true],
      ["10.0.0.5", "10.0.0.5/24", true],
      ["10.0.0.5", "10.0.0.6", false],
      ["loopback", "10.0.0.5", false],
    ];
    expect(table.map(([a, b]) => [a, b, overlaps(a, b)])).toEqual(table);
  });
});
