// The instance modules against the REAL Incus on this machine: from nothing to a running container
// reachable with the system ssh client, then drift (a moved port, a hand stop, config keys), then
// delete. Instances are named hk-inst-test-*, host ports are taken from 2300–2399, and everything
// created is deleted in afterAll. Hand edits go through the incus CLI directly, never through the
// backend under test.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normalizeSpec, type InstanceBackend, type InstanceSpec } from "../../src/instances/backend.ts";
import { applyInstance } from "../../src/instances/apply.ts";
import { diffInstance } from "../../src/instances/diff.ts";
import { incusBackend } from "../../src/instances/incus.ts";
import { seedAuthorizedKey } from "../../src/instances/seed.ts";
import { waitForSsh } from "../../src/instances/wait.ts";
import { cannotRun } from "../helpers/real-host.ts";

const FILE = "test/instances/incus-real.test.ts";
const STEP_MS = 180_000;

async function sh(argv: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore", timeout: timeoutMs, killSignal: "SIGKILL" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** Why these tests cannot run here, or false. Decided before the tests are declared. */
async function why(): Promise<string | false> {
  if (process.env.HOSTKIT_INTEGRATION_TOOL !== "incus") return "HOSTKIT_INTEGRATION_TOOL is not 'incus': real Incus instance tests skipped";
  const info = await sh(["incus", "info"], 30_000).catch((e) => ({ code: 127, stdout: "", stderr: String(e) }));
  if (info.code !== 0) return `incus does not answer (incus info: ${info.stderr.trim() || info.code}); run test/hosts/incus.sh ensure`;
  const img = (await sh(["incus", "image", "alias", "list", "-f", "csv"])).stdout.split("\n").map((l) => l.split(",")[0]!).find((a) => a.startsWith("hostkit-bookworm-"));
  if (!img) return "no local image hostkit-bookworm-* (run test/hosts/incus.sh ensure)";
  IMAGE = img;
  const profiles = (await sh(["incus", "profile", "list", "-f", "csv"])).stdout.split("\n").map((l) => l.split(",")[0]);
  // test/hosts/incus.sh keeps the default profile untouched (it may be empty) and puts eth0 + root in its own
  PROFILES = profiles.includes("hostkit") ? ["hostkit"] : ["default"];
  return false;
}
let IMAGE = "";
let PROFILES: string[] = [];
const reason = await why();

/** Free host ports in 2300–2399 (nothing listens there now). */
async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let p = 2300; p <= 2399 && out.length < n; p++) {
    try {
      const s = Bun.listen({ hostname: "127.0.0.1", port: p, socket: { data() {} } });
      s.stop(true);
      out.push(p);
    } catch {
      /* taken */
    }
  }
  if (out.length < n) throw new Error(`fewer than ${n} free ports in 127.0.0.1:2300–2399`);
  return out;
}

const ms = (t0: number) => Math.round(performance.now() - t0);

describe.skipIf(cannotRun(FILE, reason))("instances on real Incus", () => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const NAME = `hk-inst-test-${tag}`;
  const EPHEMERAL = `hk-inst-test-e-${tag}`;
  const PROJECT = `hk-inst-test-p-${tag}`;
  const INPROJECT = `hk-inst-test-p-${tag}`;
  const created = [NAME, EPHEMERAL];
  const backend: InstanceBackend = incusBackend({ project: "default", profiles: PROFILES });
  let dir = "";
  let key = "";
  let spec: InstanceSpec;
  let ports: number[] = [];
  const sshArgs = (port: number, cmd: string) => [
    "ssh", "-i", key, "-p", String(port), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", "root@127.0.0.1", cmd,
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hk-inst-test-"));
    key = join(dir, "id_ed25519");
    const kg = await sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hk-inst-test", "-f", key]);
    if (kg.code !== 0) throw new Error(`ssh-keygen failed: ${kg.stderr}`);
    ports = await freePorts(4);
    spec = normalizeSpec({
      name: NAME,
      image: IMAGE,
      expose: { ssh: { host: ports[0]!, guest: 22 }, web: { host: ports[1]!, guest: 80 } },
      config: { "user.hk-test.role": "web" },
    });
  }, STEP_MS);

  afterAll(async () => {
    for (const n of created) await sh(["incus", "delete", "--force", n], 60_000).catch(() => undefined);
    await sh(["incus", "--project", PROJECT, "delete", "--force", INPROJECT], 60_000).catch(() => undefined);
    await sh(["incus", "project", "delete", PROJECT], 60_000).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, STEP_MS);

  test("from nothing: create with two proxy devices, seed the key through the backend, SSH with the system client", async () => {
    expect(await backend.read(NAME)).toBeUndefined();
    const plan = diffInstance(spec, undefined);
    expect(plan.actions.map((a) => a.op)).toEqual(["create", "forward-add", "forward-add", "start"]);

    const t0 = performance.now();
    const steps: string[] = [];
    let tStep = t0;
    const res = await applyInstance(backend, spec, undefined, plan.actions, (p) => {
      if (p.phase === "start") tStep = performance.now();
      else steps.push(`${p.action.op} ${ms(tStep)} ms`);
    });
    const tApplied = ms(t0);
    expect(res).toEqual({ created: true, started: true });
    const seeded = await seedAuthorizedKey(backend, NAME, { user: "root", publicKey: readFileSync(`${key}.pub`, "utf8") });
    expect(seeded).toEqual({ changed: true, path: "/root/.ssh/authorized_keys" });
    const tSeeded = ms(t0);
    const progress: string[] = [];
    const ready = await waitForSsh({ host: "127.0.0.1", port: ports[0]!, timeoutMs: 90_000, onProgress: (p) => progress.push(p.last) });
    const tReady = ms(t0);
    expect(ready.banner).toMatch(/^SSH-2\.0-OpenSSH/);
    const login = await sh(sshArgs(ports[0]!, "true"));
    expect(login).toMatchObject({ code: 0 });
    const tLogin = ms(t0);
    console.log(
      `[timing] create+devices+start ${tApplied} ms (${steps.join(", ")}); +seed key ${tSeeded} ms; SSH banner ${tReady} ms (attempts: ${ready.attempts}${progress.length ? `, saw ${[...new Set(progress)].join(", ")}` : ""}); ssh root@127.0.0.1 true ok at ${tLogin} ms`,
    );

    // the second exposed port reaches the guest's port 80 (a one-line server started inside)
    const web = await backend.exec(NAME, ["systemd-run", "--unit", "hk-test-web", "python3", "-m", "http.server", "80", "--bind", "127.0.0.1", "--directory", "/etc"]);
    expect(web.code).toBe(0);
    let body = "";
    for (let i = 0; i < 40 && !body.includes("debian_version"); i++) {
      body = (await sh(["curl", "-s", "--max-time", "2", `http://127.0.0.1:${ports[1]}/`])).stdout;
      if (!body.includes("debian_version")) await Bun.sleep(250);
    }
    expect(body).toContain("debian_version");

    // seeding again changes nothing, and the file is the user's, mode 0600, in a 0700 directory
    expect(await seedAuthorizedKey(backend, NAME, { user: "root", publicKey: readFileSync(`${key}.pub`, "utf8") })).toMatchObject({ changed: false });
    const st = await backend.exec(NAME, ["stat", "-c", "%a %U %n", "/root/.ssh", "/root/.ssh/authorized_keys"]);
    expect(st.stdout.trim().split("\n")).toEqual(["700 root /root/.ssh", "600 root /root/.ssh/authorized_keys"]);
  }, STEP_MS);

  test("read right after apply: the diff says nothing to do; sudo -n reads the same state", async () => {
    const t0 = performance.now();
    const state = await backend.read(NAME);
    console.log(`[timing] one state read (incus query --raw) ${ms(t0)} ms`);
    expect(state).toMatchObject({ status: "running", kind: "container", lifecycle: "persistent", managed: true, image: IMAGE, managedKeys: ["user.hk-test.role"] });
    expect(state!.forwards.ssh).toMatchObject({ listen: "127.0.0.1", host: ports[0], guest: 22 });
    expect(diffInstance(spec, state)).toEqual({ actions: [], notes: [] });
    const viaSudo = await incusBackend({ sudo: true, profiles: PROFILES }).read(NAME);
    expect(viaSudo?.forwards).toEqual(state!.forwards);
  }, STEP_MS);

  test("changing one exposed port: exactly one device update; the old port closes, the new one answers", async () => {
    const moved: InstanceSpec = { ...spec, expose: { ...spec.expose, web: { ...spec.expose.web!, host: ports[2]! } } };
    const before = await backend.read(NAME);
    const plan = diffInstance(moved, before);
    expect(plan.actions).toEqual([
      { op: "forward-update", name: "web", forward: { listen: "127.0.0.1", host: ports[2]!, guest: 80 }, reason: `expose web: 127.0.0.1:${ports[1]} → guest 80 → 127.0.0.1:${ports[2]} → guest 80` },
    ]);
    await applyInstance(backend, moved, before, plan.actions);
    const after = await backend.read(NAME);
    expect(diffInstance(moved, after).actions).toEqual([]);
    expect(after!.forwards.ssh).toEqual(before!.forwards.ssh!);
    expect((await sh(["curl", "-s", "--max-time", "3", `http://127.0.0.1:${ports[2]}/`])).stdout).toContain("debian_version");
    expect((await sh(["curl", "-s", "--max-time", "3", `http://127.0.0.1:${ports[1]}/`])).code).not.toBe(0);
    spec = moved;
  }, STEP_MS);

  test("config: a new key is set, a dropped one unset, a key set by hand is left alone", async () => {
    expect((await sh(["incus", "config", "set", NAME, "user.by-hand=1"])).code).toBe(0);
    const next: InstanceSpec = { ...spec, config: { "user.hk-test.tier": "front" } };
    const plan = diffInstance(next, await backend.read(NAME));
    expect(plan.actions.map((a) => a.op)).toEqual(["config"]);
    expect(plan.actions[0]!.reason).toBe('config user.hk-test.tier: unset → "front"; config user.hk-test.role: no longer declared, unset (was "web")');
    await applyInstance(backend, next, await backend.read(NAME), plan.actions);
    const after = await backend.read(NAME);
    expect(after!.config).toEqual({ "user.by-hand": "1", "user.hk-test.tier": "front" });
    expect(diffInstance(next, after).actions).toEqual([]);
    spec = next;
  }, STEP_MS);

  test("a proxy device to a guest port where nothing listens: the bounded wait fails clearly", async () => {
    // the host side of a proxy device accepts at once and closes when the guest refuses: only the banner read tells
    const dead: InstanceSpec = { ...spec, expose: { ...spec.expose, dead: { listen: "127.0.0.1", host: ports[3]!, guest: 2222 } } };
    const plan = diffInstance(dead, await backend.read(NAME));
    expect(plan.actions.map((a) => a.op)).toEqual(["forward-add"]);
    await applyInstance(backend, dead, await backend.read(NAME), plan.actions);
    const seen: string[] = [];
    const err = await waitForSsh({ host: "127.0.0.1", port: ports[3]!, maxAttempts: 3, intervalMs: 100, onProgress: (p) => seen.push(p.last) }).catch((e) => e);
    expect(err.name).toBe("SshWaitError");
    console.log(`[message] ${err.message}`);
    expect(err.message).toMatch(new RegExp(`^SSH on 127\\.0\\.0\\.1:${ports[3]} did not answer within [0-9.]+ s \\(3 attempts; last: closed before an SSH banner\\)$`));
    expect(seen).toHaveLength(3);
    // dropping it from the declaration removes exactly that device
    const back = diffInstance(spec, await backend.read(NAME));
    expect(back.actions.map((a) => [a.op, "name" in a ? a.name : ""])).toEqual([["forward-remove", "dead"]]);
    await applyInstance(backend, spec, await backend.read(NAME), back.actions);
    expect(diffInstance(spec, await backend.read(NAME)).actions).toEqual([]);
  }, STEP_MS);

  test("stopped by hand: the diff says start; applying it brings SSH back", async () => {
    expect((await sh(["incus", "stop", NAME, "--force"])).code).toBe(0);
    const state = await backend.read(NAME);
    expect(state!.status).toBe("stopped");
    const plan = diffInstance(spec, state);
    expect(plan.actions).toEqual([{ op: "start", reason: "is stopped, declared running" }]);
    const t0 = performance.now();
    await applyInstance(backend, spec, state, plan.actions);
    await waitForSsh({ host: "127.0.0.1", port: ports[0]!, timeoutMs: 90_000 });
    expect((await sh(sshArgs(ports[0]!, "true"))).code).toBe(0);
    console.log(`[timing] start after a stop → ssh login ${ms(t0)} ms`);
    expect(diffInstance(spec, await backend.read(NAME)).actions).toEqual([]);
  }, STEP_MS);

  test("seeding refuses a symlinked ~/.ssh (the key must land where sshd looks)", async () => {
    const mk = await backend.exec(NAME, ["sh", "-c", "useradd -m -s /bin/sh eve && ln -s /tmp /home/eve/.ssh"]);
    expect(mk.code).toBe(0);
    const err = await seedAuthorizedKey(backend, NAME, { user: "eve", publicKey: readFileSync(`${key}.pub`, "utf8") }).catch((e) => e);
    expect(String(err.message)).toBe(`instance "${NAME}": cannot prepare /home/eve/.ssh: /home/eve/.ssh is a symbolic link`);
    expect((await backend.exec(NAME, ["test", "-e", "/tmp/authorized_keys"])).code).not.toBe(0);
    const nouser = await seedAuthorizedKey(backend, NAME, { user: "mallory", publicKey: readFileSync(`${key}.pub`, "utf8") }).catch((e) => e);
    expect(nouser.message).toBe(`instance "${NAME}": user "mallory" does not exist in the guest`);
  }, STEP_MS);

  test("delete: the instance and its forwards are gone", async () => {
    await backend.delete(NAME);
    expect(await backend.read(NAME)).toBeUndefined();
    expect(diffInstance(spec, undefined).actions[0]!.op).toBe("create");
    expect((await sh(["curl", "-s", "--max-time", "3", `http://127.0.0.1:${ports[2]}/`])).code).not.toBe(0);
  }, STEP_MS);

  test("ephemeral in Incus' sense: created ephemeral, and stopping deletes it", async () => {
    const eph = normalizeSpec({ name: EPHEMERAL, image: IMAGE, lifecycle: "ephemeral" });
    await applyInstance(backend, eph, undefined, diffInstance(eph, undefined).actions);
    expect(await backend.read(EPHEMERAL)).toMatchObject({ lifecycle: "ephemeral", status: "running" });
    // systemd ignores a shutdown request while it is still booting (a clean stop would wait out its
    // 30 s timeout and then be forced): let it finish booting first
    await backend.exec(EPHEMERAL, ["systemctl", "is-system-running", "--wait"], { timeoutMs: 90_000 });
    const t0 = performance.now();
    await backend.stop(EPHEMERAL);
    console.log(`[timing] clean stop of a booted ephemeral container ${ms(t0)} ms`);
    expect(await backend.read(EPHEMERAL)).toBeUndefined();
  }, STEP_MS);

  test("a project: every command addresses it, and the default project never sees the instance", async () => {
    // the reference's advice: share the default project's images and profiles (integrations.md §3.3)
    const mk = await sh(["incus", "project", "create", PROJECT, "-c", "features.images=false", "-c", "features.profiles=false"]);
    expect(mk.code).toBe(0);
    const inProject = incusBackend({ project: PROJECT, profiles: PROFILES });
    const s = normalizeSpec({ name: INPROJECT, image: IMAGE, state: "stopped", config: { "user.hk-test.p": "1" } });
    await applyInstance(inProject, s, undefined, diffInstance(s, undefined).actions);
    const st = await inProject.read(INPROJECT);
    expect(st).toMatchObject({ project: PROJECT, status: "stopped", config: { "user.hk-test.p": "1" } });
    expect(diffInstance(s, st)).toEqual({ actions: [], notes: [] });
    expect(await backend.read(INPROJECT)).toBeUndefined();
    await inProject.delete(INPROJECT);
    expect(await inProject.read(INPROJECT)).toBeUndefined();
  }, STEP_MS);

  test("backend errors carry Incus' own message: an unknown image, an unknown project (with the fix)", async () => {
    const bad = normalizeSpec({ name: `hk-inst-test-x-${tag}`, image: "hk-inst-test-no-such-image" });
    created.push(bad.name);
    const e1 = await backend.create(bad).catch((e) => e);
    expect(e1.name).toBe("BackendError");
    console.log(`[message] ${e1.message}`);
    expect(e1.message).toStartWith(`\`incus --project default create hk-inst-test-no-such-image ${bad.name}`);
    expect(e1.message).toMatch(/failed \(exit 1\): .*not found/i);
    const e2 = await incusBackend({ project: "hk-inst-test-no-project" }).read(NAME).catch((e) => e);
    expect(e2.message).toBe(
      `reading instance "${NAME}" in project "hk-inst-test-no-project" failed: Project not found — create it with: incus project create hk-inst-test-no-project -c features.images=false -c features.profiles=false (so it sees the default project's images and profiles)`,
    );
  }, STEP_MS);
});
