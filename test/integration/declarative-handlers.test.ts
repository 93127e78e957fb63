/**
 * Issue 10 on the real systemd host, through the compiled CLI (the offline versions are
 * test/plan/notify.test.ts, test/plan/handlers.test.ts and test/down/command-cause.test.ts):
 * - a changed config file declared in a service restarts exactly that service, once, however many of
 *   its inputs changed: its unit's ActiveEnterTimestampMonotonic moves and its start log grows by one
 *   line, while another service of the same project is untouched; an unchanged re-apply moves nothing;
 *   a file with `notify: "reload"` reloads (execReload runs, same process, no new activation), and a
 *   restart in the same apply covers it;
 * - command downs only with their cause: change only restartSec, apply with --track, `down --last`
 *   does NOT run the migration's down and says so; a release change followed by `down --last` runs it.
 *   The migration and its down append to a log on the host, which is what the tests read.
 * Names carry a per-run tag: other test files share the host.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { announceSkip, ENABLED, eventually, mustHost, onHost, removeTempDirs, SETUP_MS, tag, TEST_MS, type Host } from "./harness.ts";
import { session, unitProp, unitState, type Session } from "./declarative.ts";

announceSkip("test/integration/declarative-handlers.test.ts");

const t = tag();

/** Remove the units, files and record a project left (its units are `<name>-*`). */
function clean(name: string, units: string[], paths: string[]): string {
  return `systemctl disable --now ${units.join(" ")} >/dev/null 2>&1; find /etc/systemd/system -name '${name}-*' -delete; systemctl daemon-reload
systemctl reset-failed ${units.join(" ")} >/dev/null 2>&1; rm -rf ${paths.join(" ")} /var/lib/hostkit/state/${name}.json; exit 0`;
}

/** The service_state steps of a plan (JSON), as "op unit". */
function serviceSteps(json: string): string[] {
  const changes = JSON.parse(json).plans[0].changes as { type: string; id: string; after?: { op?: string } }[];
  return changes.filter((c) => c.type === "service_state").map((c) => `${c.after?.op} ${c.id}`);
}

describe.skipIf(!ENABLED)("a changed config file restarts exactly its service, once (or reloads it)", () => {
  let h: Host;
  let s: Session;
  const name = `hkdh${t}`;
  const web = `${name}-web.service`;
  const api = `${name}-api.service`;
  const conf = `/etc/${name}`;
  const starts = (svc: string) => `/var/tmp/${name}-${svc}.starts`;
  const reloads = `/var/tmp/${name}-web.reloads`;
  // Each daemon appends a line to its start log, then becomes `sleep`: one line per start.
  const daemon = (svc: string, secs: number, more = "") =>
    `s.daemon({ exec: ["/bin/sh", "-c", ${JSON.stringify(`echo start >> ${starts(svc)}; exec sleep ${secs}`)}], ${more}env: ["${conf}/${svc}.env"] });`;
  // web's tls.conf says `notify: "reload"`: its execReload appends to a log (the daemon keeps running).
  const infra = (webConf: string, webMode: string, tls = "1") => `  p.prefixes({ unit: "${name}-" });
  p.service("web", (s) => {
    s.file("${conf}/web.toml", { content: "v=${webConf}\\n" });
    s.file("${conf}/tls.conf", { content: "t=${tls}\\n", notify: "reload" });
    s.envFile("${conf}/web.env", { set: { MODE: "${webMode}" } });
    ${daemon("web", 1000, `execReload: ["/bin/sh", "-c", "echo reload >> ${reloads}"], `)}
  });
  p.service("api", (s) => {
    s.file("${conf}/api.toml", { content: "a=1\\n" });
    s.envFile("${conf}/api.env", { set: { MODE: "one" } });
    ${daemon("api", 2000)}
  });`;

  beforeAll(async () => {
    h = await mustHost();
    s = session(h, name, "hk-dhandler-");
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await onHost(h, clean(name, [web, api], [conf, starts("web"), starts("api"), reloads]));
    removeTempDirs();
  }, TEST_MS);

  /** Both units' activation stamps and start counts, once each start log has caught up with `expect`. */
  async function observe(expected: { web: number; api: number }) {
    const count = async (svc: string) => Number((await onHost(h, `cat ${starts(svc)} 2>/dev/null | wc -l`)).trim());
    // Type=exec: systemctl returns once sh is exec'd; its `echo` may land a moment later.
    await eventually(async () => (await count("web")) >= expected.web && (await count("api")) >= expected.api, 15_000, "the start logs");
    return {
      web: { stamp: await unitProp(h, web, "ActiveEnterTimestampMonotonic"), starts: await count("web"), state: (await unitState(h, web)).active },
      api: { stamp: await unitProp(h, api, "ActiveEnterTimestampMonotonic"), starts: await count("api"), state: (await unitState(h, api)).active },
    };
  }

  test("web.toml changes: web restarts once, api does not; both web inputs change: still one restart; unchanged: nothing moves; tls.conf: a reload", async () => {
    s.infra(infra("1", "one"));
    await s.cli("v1 apply", ["apply", "infra.ts", "--host", "it", "--confirm"]);
    const v1 = await observe({ web: 1, api: 1 });
    expect({ web: v1.web.starts, api: v1.api.starts, states: [v1.web.state, v1.api.state] }).toEqual({ web: 1, api: 1, states: ["active", "active"] });

    // Only web's config file changes.
    s.infra(infra("2", "one"));
    const plan = await s.cli("v2 plan", ["plan", "infra.ts", "--host", "it", "--json"]);
    expect(serviceSteps(plan.stdout)).toEqual([`restart ${web}`]);
    const apply = await s.cli("v2 apply", ["apply", "infra.ts", "--host", "it", "--confirm"]);
    expect(apply.stdout).toContain(`run service_state:${web}  file:${conf}/web.toml changed`);
    const v2 = await observe({ web: 2, api: 1 });
    expect(v2.web.stamp).not.toBe(v1.web.stamp);
    expect(v2.api.stamp).toBe(v1.api.stamp);
    expect({ web: v2.web.starts, api: v2.api.starts, state: v2.web.state }).toEqual({ web: 2, api: 1, state: "active" });

    // Both of web's inputs change in one apply: one restart naming both.
    s.infra(infra("3", "two"));
    const both = await s.cli("v3 apply", ["apply", "infra.ts", "--host", "it", "--confirm", "--json"]);
    const steps = both.stdout.split("\n").filter((l) => l.includes('"type":"change.done"') && l.includes('"service_state:'));
    expect(steps.length).toBe(1);
    expect(steps[0]).toContain(`service_state:${web}`);
    const v3 = await observe({ web: 3, api: 1 });
    expect(v3.web.stamp).not.toBe(v2.web.stamp);
    expect(v3.api.stamp).toBe(v1.api.stamp);
    expect({ web: v3.web.starts, api: v3.api.starts }).toEqual({ web: 3, api: 1 });

    // Unchanged: nothing to do, nothing restarted.
    const again = await s.cli("v3 again", ["apply", "infra.ts", "--host", "it", "--confirm"]);
    expect(again.stdout).toContain("No changes.");
    const v4 = await observe({ web: 3, api: 1 });
    expect(v4).toEqual(v3);
    const reloadCount = async () => Number((await onHost(h, `cat ${reloads} 2>/dev/null | wc -l`)).trim());
    expect(await reloadCount()).toBe(0);

    // Only tls.conf (notify: "reload") changes: one reload, no restart, the same process.
    const pid = await unitProp(h, web, "MainPID");
    s.infra(infra("3", "two", "2"));
    expect(serviceSteps((await s.cli("tls plan", ["plan", "infra.ts", "--host", "it", "--json"])).stdout)).toEqual([`reload ${web}`]);
    await s.cli("tls apply", ["apply", "infra.ts", "--host", "it", "--confirm"]);
    expect(await reloadCount()).toBe(1);
    expect(await observe({ web: 3, api: 1 })).toEqual(v3);
    expect(await unitProp(h, web, "MainPID")).toBe(pid);

    // tls.conf and web.toml change together: the restart covers the reload.
    s.infra(infra("4", "two", "3"));
    expect(serviceSteps((await s.cli("tls+conf plan", ["plan", "infra.ts", "--host", "it", "--json"])).stdout)).toEqual([`restart ${web}`]);
    await s.cli("tls+conf apply", ["apply", "infra.ts", "--host", "it", "--confirm"]);
    const v5 = await observe({ web: 4, api: 1 });
    expect({ web: v5.web.starts, api: v5.api.starts, moved: v5.web.stamp !== v3.web.stamp, apiSame: v5.api.stamp === v1.api.stamp }).toEqual({ web: 4, api: 1, moved: true, apiSame: true });
    expect(await reloadCount()).toBe(1);
  }, TEST_MS);
});

describe.skipIf(!ENABLED)("command downs follow their cause on a real host", () => {
  let h: Host;
  let s: Session;
  const name = `hkdm${t}`;
  const web = `${name}-web.service`;
  const log = `/var/tmp/${name}-migrations.log`;
  const sh = (line: string) => JSON.stringify(["/bin/sh", "-c", `echo ${line} >> ${log}`]);
  /** `release` is what the daemon runs (a release change); `restartSec` is not. */
  const infra = (release: number, restartSec: number) => `  p.prefixes({ unit: "${name}-" });
  p.service("web", (s) => {
    s.command("migrate", { exec: ${sh("up")}, when: "changed", down: ${sh("down")} });
    s.daemon({ exec: ["/bin/sleep", "${1000 + release}"], restartSec: ${restartSec} });
  });`;
  const migrations = async () => (await onHost(h, `cat ${log} 2>/dev/null || true`)).split("\n").filter(Boolean);
  const unitLine = async (key: string) => (await onHost(h, `grep '^${key}=' /etc/systemd/system/${web} || true`)).trim();

  beforeAll(async () => {
    h = await mustHost();
    s = session(h, name, "hk-dcause-");
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await onHost(h, clean(name, [web], [log]));
    removeTempDirs();
  }, TEST_MS);

  test("restartSec only: no migration, and down --last does not run its down (and says so); a release change: down --last runs it", async () => {
    s.infra(infra(1, 5));
    await s.cli("v1 apply", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"]);
    expect(await migrations()).toEqual(["up"]);

    // Only restartSec changes: the unit is updated, the migration does not run.
    s.infra(infra(1, 10));
    const up = await s.cli("restartSec apply", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"]);
    expect(up.stdout).toContain(`~ systemd_service:${web}  unit file differs`);
    expect(up.stdout).toContain(`warning: command:migrate did not run: service web changed (systemd_service:${web}) but not its release`);
    expect(await unitLine("RestartSec")).toBe("RestartSec=10");
    expect(await migrations()).toEqual(["up"]);

    const down = await s.cli("restartSec down", ["down", "infra.ts", "--host", "it", "--last", "--out", "down1.json"]);
    expect(down.stdout).not.toContain("run command:migrate");
    expect(down.stdout).toMatch(/warning: command:migrate did not run: .*; its down is not run either/);
    const applied = await s.cli("restartSec down apply", ["apply", "--plan", "down1.json", "infra.ts", "--confirm"]);
    expect(applied.stdout + applied.stderr).not.toContain("command:migrate  ");
    expect(await unitLine("RestartSec")).toBe("RestartSec=5"); // the unit change was reverted…
    expect(await migrations()).toEqual(["up"]); // …and the migration's down did not run
    expect((await unitState(h, web)).active).toBe("active");

    // A release change (what the daemon runs): the migration runs, and down --last runs its down.
    s.infra(infra(2, 5));
    const release = await s.cli("release apply", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"]);
    expect(release.stdout).toContain(`run command:migrate  systemd_service:${web} changed`);
    expect(await migrations()).toEqual(["up", "up"]);
    const down2 = await s.cli("release down", ["down", "infra.ts", "--host", "it", "--last", "--out", "down2.json"]);
    expect(down2.stdout).toContain("run command:migrate  undo command:migrate (its declared down)");
    expect(down2.stdout).not.toContain("its down is not run");
    await s.cli("release down apply", ["apply", "--plan", "down2.json", "infra.ts", "--confirm"]);
    expect(await migrations()).toEqual(["up", "up", "down"]);
    expect(await unitLine("ExecStart")).toBe("ExecStart=/bin/sleep 1001");
    expect((await unitState(h, web)).active).toBe("active");
  }, TEST_MS);
});
