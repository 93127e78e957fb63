/**
 * The batched unit probe (one `sh` for the unit files, ~one `systemctl is-enabled`, one
 * `systemctl is-active`, whatever the number of units) reads exactly what the per-unit probe reads,
 * on a real systemd host, for every state a unit can be in: missing, ours and enabled/active, masked,
 * static, vendor-only, template instance, disabled, empty file, dangling link. Also offline (`--root`),
 * there and on this machine (that part always runs: it needs only `systemctl`).
 * And a whole plan reads the host in ONE round trip.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { systemdService } from "../../src/kinds/unit-file.ts";
import type { SystemdService } from "../../src/model/resource.ts";
import type { HostFacts, TargetCtx } from "../../src/model/kind.ts";
import { openSsh, type SshRunner } from "../../src/targets/ssh.ts";
import { localRunner } from "../../src/targets/local.ts";
import { text, type Runner } from "../../src/targets/runner.ts";
import { batchScript, parseBatch } from "../../src/targets/shell.ts";
import { planHost } from "../../src/plan/planner.ts";
import { load } from "../../src/load.ts";
import { announceSkip, ENABLED, mustHost, onHost, removeTempDirs, SETUP_MS, tag, tempDir, TEST_MS, writeInfra, type Host } from "./harness.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cannotRun } from "../helpers/real-host.ts";

announceSkip("test/integration/probe-batch.test.ts");

const facts: HostFacts = { users: new Map(), groups: new Map(), userById: new Map(), groupById: new Map(), extra: new Map() };

const units = (names: string[]) => names.map((name) => ({ type: "systemd_service", id: name, name }) as unknown as SystemdService);

/** Parse each unit from its own probe, and all of them from one batch: the two must agree. */
async function compareProbes(runner: Runner, rs: SystemdService[], ctx: TargetCtx): Promise<{ single: unknown[]; batch: unknown[]; cmds: number }> {
  const single: unknown[] = [];
  for (const x of rs) {
    const out = parseBatch((await runner.exec(["sh", "-s"], { stdin: batchScript(systemdService.probe(x, ctx)) })).stdout);
    single.push(systemdService.parse(x, out, facts, ctx));
  }
  const b = systemdService.probeBatch!(rs, ctx);
  const outs = parseBatch((await runner.exec(["sh", "-s"], { stdin: batchScript(b.cmds) })).stdout);
  const per = b.split(outs);
  return { single, batch: rs.map((x, i) => systemdService.parse(x, per[i]!, facts, ctx)), cmds: b.cmds.length };
}

const UNIT = "[Unit]\nDescription=hkpb\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n";

/** Unit files in every state under BASE (an /etc/systemd/system); the [Install] unit comes on stdin. */
function unitStates(base: string, u: (s: string) => string): string {
  return `set -e
mkdir -p ${base}
cat > ${base}/${u("enabled")}
cp ${base}/${u("enabled")} ${base}/${u("disabled")}
ln -sf /dev/null ${base}/${u("masked")}
ln -sf /nonexistent/hkpb.service ${base}/${u("dangling")}
printf '[Service]\\nExecStart=/bin/true\\n' > ${base}/${u("static")}
: > ${base}/${u("empty")}
`;
}

function unitNames(u: (s: string) => string): string[] {
  return [
    u("enabled"), // ours, enabled and running
    u("missing"), // nowhere
    u("masked"), // symlink to /dev/null
    u("dangling"), // symlink to nothing: \`systemctl is-enabled a b c\` stops here, the batch resumes after it
    u("static"), // no [Install]
    u("disabled"), // has [Install], not enabled
    u("empty"), // zero bytes
    "ssh.service", // vendor unit only (/lib/systemd/system), not in /etc/systemd/system
    "getty@tty1.service", // template instance
    u("missing2"),
    u("enabled"), // the same unit twice
  ];
}

describe("batched unit probe, offline root on this machine (always runs)", () => {
  const u = (s: string) => `hkpb-${s}.service`;
  const hasSystemctl = Bun.spawnSync(["sh", "-c", "command -v systemctl"]).exitCode === 0;

  test.skipIf(cannotRun("test/integration/probe-batch.test.ts (offline root)", hasSystemctl ? false : "systemctl is not installed"))("same facts as one probe per unit, in 2 commands", async () => {
    const r = localRunner();
    const root = mkdtempSync(join(tmpdir(), "hkpb-local-"));
    const setup = await r.exec(["sh", "-c", `${unitStates(`${root}/etc/systemd/system`, u)}systemctl --root="$1" enable ${u("enabled")} 2>/dev/null`, "setup", root], { stdin: UNIT });
    expect(text(setup.stderr)).toBe("");
    const names = unitNames(u).filter((n) => n !== "ssh.service");
    const { single, batch, cmds } = await compareProbes(r, units(names), { root });
    expect(batch).toEqual(single);
    expect(cmds).toBe(2);
    const by = Object.fromEntries(names.map((n, i) => [n, batch[i] as { exists: boolean; enabled: string }]));
    expect(by[u("enabled")]).toMatchObject({ exists: true, enabled: "enabled" });
    expect(by[u("static")]).toMatchObject({ exists: true, enabled: "static" });
    expect(by[u("disabled")]).toMatchObject({ exists: true, enabled: "disabled" });
    expect(by[u("missing")]).toMatchObject({ exists: false, enabled: "unknown" });
    rmSync(root, { recursive: true, force: true });
  }, TEST_MS);
});

describe.skipIf(!ENABLED)("batched unit probe on a real host", () => {
  let h: Host;
  let r: SshRunner;
  const t = tag();
  const u = (s: string) => `hkpb-${t}-${s}.service`;
  const root = `/var/tmp/hkpb-root-${t}`;
  const names = unitNames(u);

  beforeAll(async () => {
    h = await mustHost();
    const dir = tempDir("hkpb-");
    r = await openSsh({ host: h.host, port: h.port, user: h.user, ...(h.identityFile ? { identityFile: h.identityFile } : {}), agent: false, acceptHosts: true, knownHostsFile: join(dir, "known_hosts") });
    await onHost(h, `${unitStates("/etc/systemd/system", u)}systemctl daemon-reload\nsystemctl enable --now ${u("enabled")} 2>/dev/null`, UNIT);
    await onHost(h, `${unitStates(`${root}/etc/systemd/system`, u)}systemctl --root=${root} enable ${u("enabled")} 2>/dev/null`, UNIT);
  }, SETUP_MS);

  afterAll(async () => {
    await r?.close();
    if (h) {
      await onHost(h, `systemctl disable --now ${u("enabled")} >/dev/null 2>&1; rm -f /etc/systemd/system/hkpb-${t}-*; rm -rf ${root}; systemctl daemon-reload; exit 0`);
    }
    removeTempDirs();
  }, TEST_MS);

  const compare = (ctx: TargetCtx) => compareProbes(r, units(names), ctx);

  test("live host: same facts as one probe per unit, in 3 commands", async () => {
    const { single, batch, cmds } = await compare({});
    expect(single.length).toBe(names.length);
    expect(batch).toEqual(single);
    expect(cmds).toBe(3);
    // And the facts are the real ones (not merely equal).
    const by = Object.fromEntries(names.map((n, i) => [n, batch[i] as { exists: boolean; enabled: string; active: string }]));
    expect(by[u("enabled")]).toMatchObject({ exists: true, enabled: "enabled", active: "active" });
    expect(by[u("missing")]).toMatchObject({ exists: false, enabled: "unknown" });
    expect(by[u("masked")]).toMatchObject({ exists: true, enabled: "masked" });
    expect(by[u("dangling")]).toMatchObject({ exists: false, enabled: "unknown" });
    expect(by[u("static")]).toMatchObject({ exists: true, enabled: "static" });
    expect(by[u("disabled")]).toMatchObject({ exists: true, enabled: "disabled", active: "inactive" });
    expect(by[u("empty")]).toMatchObject({ exists: true });
    expect(by["ssh.service"]).toMatchObject({ exists: false, enabled: "enabled", active: "active" });
    expect(by["getty@tty1.service"]).toMatchObject({ exists: false });
  }, TEST_MS);

  test("offline root (systemctl --root): same facts, in 2 commands", async () => {
    const { single, batch, cmds } = await compare({ root });
    expect(batch).toEqual(single);
    expect(cmds).toBe(2);
    expect(batch[0]).toMatchObject({ exists: true, enabled: "enabled", active: "unknown" });
  }, TEST_MS);

  test("a plan of many resources reads the host in ONE round trip", async () => {
    const dir = tempDir("hkpb-plan-");
    const lines = [`import { project } from "hostkit";`, `export default project("hkpb", (p) => {`, `  p.prefixes({ unit: "hkpb-${t}-p" });`];
    for (let i = 0; i < 40; i++) lines.push(`  p.file("/var/tmp/hkpb-${t}/f${i}", { content: "x${i}\\n" });`);
    for (let i = 0; i < 10; i++) lines.push(`  p.directory("/var/tmp/hkpb-${t}/d${i}");`);
    for (let i = 0; i < 20; i++) lines.push(`  p.service("s${i}", (s) => { s.daemon({ exec: ["/bin/true"], type: "oneshot", start: false }); });`);
    lines.push("  p.account(\"hkpb-nobody\", { system: true });", "});", "");
    const project = await load(writeInfra(dir, "many.ts", lines.join("\n")));
    let calls = 0;
    const counting = { ...r, exec: (argv: readonly string[], o?: Parameters<SshRunner["exec"]>[1]) => (calls++, r.exec(argv, o)) };
    const before = r.stats();
    const p = await planHost({ project: project.project, resources: project.resources, runner: counting, ctx: {}, target: { name: "it", transport: "ssh" } });
    expect(calls).toBe(1);
    expect(r.stats()).toEqual(before);
    expect(p.summary.create).toBe(71);
  }, TEST_MS);
});
