/**
 * Issue 10 on the real systemd host, through the compiled CLI (the offline-root versions are
 * test/down/prune.test.ts):
 * - a whole service removed from the infra file is pruned: its unit, timer and env file (holding a
 *   secret) are planned as deletes, its account and directory kept with a warning naming them; apply
 *   stops and disables the units and removes them (systemd no longer knows them, not even a failed
 *   one as "not-found failed"); `down --last` brings
 *   them back from the run's backups and the unit runs again;
 * - a rotated secret whose value the controller holds is planned as "secret TOKEN changed", without
 *   the value or a hash of it in any output or plan JSON; without the value the plan says it could not
 *   compare; --rotate-secrets rewrites.
 * Project, unit, account and path names carry a per-run tag: other test files share the host.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { announceSkip, ENABLED, mustHost, onHost, removeTempDirs, SETUP_MS, tag, TEST_MS, type Host } from "./harness.ts";
import { exists, hostFileHolds, leaks, linesStarting, session, unitProp, unitState, type Session } from "./declarative.ts";

announceSkip("test/integration/declarative-prune.test.ts");

const t = tag();

describe.skipIf(!ENABLED)("prune on a real host: a removed service goes away, and down --last brings it back", () => {
  let h: Host;
  let s: Session;
  const name = `hkdp${t}`;
  const unit = `${name}-web.service`;
  const timer = `${name}-web-tick.timer`;
  const job = `${name}-web-tick.service`;
  const account = `${name}-web`;
  const envPath = `/etc/${name}/web/runtime.env`;
  const dataDir = `/srv/${name}/web`;
  const canary = `hkCanary${randomBytes(10).toString("hex")}`;
  const other = `hkOther${randomBytes(10).toString("hex")}`;
  const head = `  p.roots({ config: "/etc/${name}", data: "/srv/${name}" });
  p.prefixes({ unit: "${name}-", user: "${name}-" });
  p.file("/etc/${name}-keep.conf", { content: "kept\\n" });`;
  const withService = `${head}
  p.service("web", (s) => {
    s.account({ system: true });
    s.storage("data", { mode: 0o750 });
    s.env("runtime", { set: { A: "1" }, secret: { TOKEN: secretEnv("HKD_TOKEN") } });
    s.daemon({ exec: ["/bin/sleep", "1000"], env: ["runtime"] });
    s.timer("tick", { onCalendar: "hourly", exec: ["/bin/false"] }); // its job fails: see below
  });`;

  beforeAll(async () => {
    h = await mustHost();
    s = session(h, name, "hk-dprune-");
  }, SETUP_MS);

  afterAll(async () => {
    if (h)
      await onHost(
        h,
        `systemctl disable --now ${timer} ${unit} ${job} >/dev/null 2>&1; rm -f /etc/systemd/system/${name}-*; find /etc/systemd/system -name '${name}-*' -delete; systemctl daemon-reload
systemctl reset-failed ${unit} ${job} >/dev/null 2>&1; userdel ${account} >/dev/null 2>&1; groupdel ${account} >/dev/null 2>&1
rm -rf /etc/${name} /srv/${name} /etc/${name}-keep.conf /var/lib/hostkit/state/${name}.json; exit 0`,
      );
    removeTempDirs();
  }, TEST_MS);

  test("plan: unit, timer, env file deleted, account and directory kept with a warning; apply stops and removes; down --last restores and the unit runs", async () => {
    const env = { HKD_TOKEN: canary };
    s.infra(withService);
    await s.cli("v1 apply", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"], { env });
    expect(await unitState(h, unit)).toEqual({ active: "active", enabled: "enabled", load: "loaded" });
    expect(await unitState(h, timer)).toEqual({ active: "active", enabled: "enabled", load: "loaded" });
    expect(await hostFileHolds(h, envPath, canary)).toBe(true);
    const pid1 = await unitProp(h, unit, "MainPID");
    expect(pid1).not.toBe("0");
    // The timer's job has run and failed: a failed unit must not outlive its removal as a ghost.
    await onHost(h, `systemctl start ${job} >/dev/null 2>&1; exit 0`);
    expect((await unitState(h, job)).active).toBe("failed");

    // The service is removed from the file.
    s.infra(head);
    const plan = await s.cli("v2 plan", ["plan", "infra.ts", "--host", "it", "--out", "prune.json"], { env });
    expect(linesStarting(plan.stdout, "- ").map((l) => l.split("  ")[0]).sort()).toEqual(
      [`- env_file:${envPath}`, `- systemd_service:${job}`, `- systemd_service:${unit}`, `- systemd_timer:${timer}`].sort(),
    );
    for (const l of linesStarting(plan.stdout, "- ")) expect(l).toContain("no longer declared (managed by HostKit)");
    expect(plan.stdout).toContain(
      `warning: no longer declared, kept on the host and no longer managed by HostKit: account:${account} (rollback: "keep"), directory:${dataDir} (rollback: "keep")`,
    );
    expect(plan.stdout).toContain("Plan: 0 to create, 0 to update, 4 to delete");
    // The timer goes before the service it starts, the unit before the env file it loads.
    const at = (k: string) => plan.stdout.indexOf(`- ${k}`);
    expect(at(`systemd_timer:${timer}`)).toBeLessThan(at(`systemd_service:${job}`));
    expect(at(`systemd_service:${unit}`)).toBeLessThan(at(`env_file:${envPath}`));

    await s.cli("v2 apply", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"], { env });
    // systemd no longer knows the units: stopped, disabled, files gone; the daemon's process is gone.
    for (const u of [unit, timer, job]) expect({ u, ...(await unitState(h, u)) }).toEqual({ u, active: "inactive", enabled: "", load: "not-found" });
    expect(await onHost(h, `systemctl list-units --all --failed --plain --no-legend | grep -c '${name}-' || true`)).toBe("0\n");
    expect(await onHost(h, `pgrep -u ${account} -c || true`)).toBe("0\n");
    expect(await onHost(h, `ls /etc/systemd/system | grep -c '^${name}-' || true; find /etc/systemd/system -name '${name}-*' | wc -l`)).toBe("0\n0\n");
    expect(await exists(h, envPath)).toBe(false);
    // Kept: the account, the directory, and what is still declared.
    expect((await onHost(h, `id -un ${account}; stat -c '%a %U' ${dataDir}; cat /etc/${name}-keep.conf`)).split("\n")).toEqual([account, `750 ${account}`, "kept", ""]);
    expect((await s.cli("v2 plan again", ["plan", "infra.ts", "--host", "it"], { env })).stdout).toContain("No changes.");

    // Rolled back with another value in the environment: the env file comes back from the run's backup.
    const back = { HKD_TOKEN: other };
    const down = await s.cli("down", ["down", "infra.ts", "--host", "it", "--last", "--out", "down.json"], { env: back });
    for (const k of [`env_file:${envPath}`, `systemd_service:${unit}`, `systemd_service:${job}`, `systemd_timer:${timer}`]) expect(down.stdout).toContain(`+ ${k}  recreate the deleted`);
    await s.cli("down apply", ["apply", "--plan", "down.json", "infra.ts", "--confirm"], { env: back });
    expect(await unitState(h, unit)).toEqual({ active: "active", enabled: "enabled", load: "loaded" });
    expect(await unitState(h, timer)).toEqual({ active: "active", enabled: "enabled", load: "loaded" });
    const pid2 = await unitProp(h, unit, "MainPID");
    expect(pid2).not.toBe("0");
    expect(pid2).not.toBe(pid1); // a new process: it really ran again
    expect((await onHost(h, `ps -o user:32=,args= -p ${pid2}`)).trim().split(/\s+/)).toEqual([account, "/bin/sleep", "1000"]);
    expect(await hostFileHolds(h, envPath, canary)).toBe(true);
    expect(await hostFileHolds(h, envPath, other)).toBe(false);
    // The v1 declarations match the host again.
    s.infra(withService);
    expect((await s.cli("v1 plan after down", ["plan", "infra.ts", "--host", "it"], { env })).stdout).toContain("No changes.");

    // No secret value in any output, plan file, run record, or the host's managed-resources record.
    const record = await onHost(h, `cat /var/lib/hostkit/state/${name}.json`);
    expect(record).toContain(`"env_file:${envPath}"`);
    expect(leaks(s, [canary, other], [["host record", record]])).toEqual([]);
    expect(readFileSync(join(s.dir, "prune.json"), "utf8")).toContain(`env_file:${envPath}`); // the scan saw the plan
  }, TEST_MS);
});

describe.skipIf(!ENABLED)("rotated secrets on a real host", () => {
  let h: Host;
  let s: Session;
  const name = `hkds${t}`;
  const unit = `${name}-web.service`;
  const envPath = `/etc/${name}/web.env`;
  const v1 = `hkCanary${randomBytes(10).toString("hex")}`;
  const v2 = `hkRotated${randomBytes(10).toString("hex")}`;
  const sha = (x: string) => createHash("sha256").update(x).digest("hex");
  // A hash of the value (or of its env line) in a plan would let anyone test guesses against it.
  const secrets = [v1, v2, sha(v1), sha(v2), sha(`TOKEN=${v2}`), sha(`TOKEN=${v2}\n`), sha(`TOKEN=${v1}\n`)];

  beforeAll(async () => {
    h = await mustHost();
    s = session(h, name, "hk-drot-");
    s.infra(`  p.prefixes({ unit: "${name}-" });
  p.service("web", (s) => {
    s.envFile("${envPath}", { set: { MODE: "one" }, secret: { TOKEN: secretEnv("HKD_SECRET") } });
    s.daemon({ exec: ["/bin/sleep", "1000"], env: ["${envPath}"] });
  });`);
  }, SETUP_MS);

  afterAll(async () => {
    if (h)
      await onHost(
        h,
        `systemctl disable --now ${unit} >/dev/null 2>&1; rm -f /etc/systemd/system/${unit}; find /etc/systemd/system -name '${unit}' -delete; systemctl daemon-reload
systemctl reset-failed ${unit} >/dev/null 2>&1; rm -rf /etc/${name} /var/lib/hostkit/state/${name}.json; exit 0`,
      );
    removeTempDirs();
  }, TEST_MS);

  test("with the value: 'secret TOKEN changed' (no value, no hash anywhere); without it: not compared; apply rewrites", async () => {
    await s.cli("apply v1", ["apply", "infra.ts", "--host", "it", "--confirm"], { env: { HKD_SECRET: v1 } });
    expect(await hostFileHolds(h, envPath, `TOKEN=${v1}`)).toBe(true);
    expect((await s.cli("plan same", ["plan", "infra.ts", "--host", "it"], { env: { HKD_SECRET: v1 } })).stdout).toContain("No changes.");

    const rotated = { HKD_SECRET: v2 };
    const plan = await s.cli("plan rotated", ["plan", "infra.ts", "--host", "it", "--out", "rotated.json"], { env: rotated });
    expect(plan.stdout).toContain(`~ env_file:${envPath}  secret TOKEN changed`);
    expect(plan.stdout).toContain("~ TOKEN: (secret value changed) (from $HKD_SECRET)");
    expect(plan.stdout).toContain(`run service_state:${unit}  env_file:${envPath} changed`);
    const json = await s.cli("plan rotated --json", ["plan", "infra.ts", "--host", "it", "--json"], { env: rotated });
    const changes = JSON.parse(json.stdout).plans[0].changes as { key: string; reason: string }[];
    expect(changes.find((c) => c.key === `env_file:${envPath}`)?.reason).toBe("secret TOKEN changed");

    // Without the value on the controller: nothing to update, and the plan says what it did not compare.
    const blind = await s.cli("plan without value", ["plan", "infra.ts", "--host", "it", "--json"]);
    const p = JSON.parse(blind.stdout).plans[0] as { summary: { update: number }; warnings: string[] };
    expect(p.summary.update).toBe(0);
    expect(p.warnings).toContain(`env_file:${envPath}: the values of secret TOKEN were not compared (not set on the controller): a rotated value is not detected`);

    const before = await unitProp(h, unit, "ActiveEnterTimestampMonotonic");
    await s.cli("apply rotated", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"], { env: rotated });
    expect(await hostFileHolds(h, envPath, `TOKEN=${v2}`)).toBe(true);
    expect(await hostFileHolds(h, envPath, v1)).toBe(false);
    expect(await unitProp(h, unit, "ActiveEnterTimestampMonotonic")).not.toBe(before); // restarted to read it
    expect((await s.cli("plan after", ["plan", "infra.ts", "--host", "it"], { env: rotated })).stdout).toContain("No changes.");
    const forced = await s.cli("rotate-secrets", ["apply", "infra.ts", "--host", "it", "--confirm", "--rotate-secrets"], { env: rotated });
    expect(forced.stdout).toContain("secret values rewritten (--rotate-secrets): TOKEN");

    const record = await onHost(h, `cat /var/lib/hostkit/state/${name}.json`);
    expect(leaks(s, secrets, [["host record", record]])).toEqual([]);
    expect(readFileSync(join(s.dir, "rotated.json"), "utf8")).toContain("secret TOKEN changed"); // the scan saw the plan
  }, TEST_MS);
});
