// Checks the real systemd test hosts made by test/hosts/incus.sh (HOSTKIT_INTEGRATION_TOOL=incus):
// ssh with the generated key, systemd as PID 1, and the systemd basics HostKit relies on.
// Without HOSTKIT_INTEGRATION_TOOL=incus those tests are skipped (the reason is printed);
// the testHost() selection tests at the bottom always run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INCUS_SH, isSkip, run, SKIP_REASON, ssh, testHost, type IncusTestHost } from "./testhost.ts";
import { cannotRun } from "../helpers/real-host.ts";

const enabled = !cannotRun("test/hosts/incus.test.ts", process.env.HOSTKIT_INTEGRATION_TOOL === "incus" ? false : SKIP_REASON);

const SETUP_TIMEOUT = 600_000; // a first ensure on a fresh machine builds the image (~2 min)
const T = 60_000; // per test: explicit, bun's default (5 s) is too short for ssh round trips + units

async function incusHost(opts?: Parameters<typeof testHost>[0]): Promise<IncusTestHost> {
  const h = await testHost(opts);
  if (isSkip(h)) throw new Error(h.skip);
  if (h.kind !== "incus") throw new Error(`expected an incus host, got ${h.kind}`);
  return h;
}

describe.skipIf(!enabled)("incus test host (default instance)", () => {
  let h: IncusTestHost;
  const tag = `hk${process.pid}x${Date.now().toString(36)}`; // unique names: the host is shared

  beforeAll(async () => {
    h = await incusHost();
  }, SETUP_TIMEOUT);

  test("env values point at 127.0.0.1 and a readable key", async () => {
    expect(h.host).toBe("127.0.0.1");
    expect(h.user).toBe("root");
    expect(h.port).toBeGreaterThan(0);
    expect(await Bun.file(h.identityFile).exists()).toBe(true);
    const env = await run(["bash", INCUS_SH, "env", h.instance]);
    expect(env.code).toBe(0);
    expect(env.stdout).toContain(`export HOSTKIT_TEST_SSH_PORT=${h.port}\n`);
    expect(env.stdout).toContain(`export HOSTKIT_TEST_SSH_KEY=${h.identityFile}\n`);
    const ip = await run(["bash", INCUS_SH, "ip", h.instance]);
    expect(ip.stdout.trim()).toBe(`127.0.0.1:${h.port}`);
  }, T);

  test("it is a HostKit instance: made by `hostkit apply test/hosts/instance.ts`, and a plan of that declaration has no changes", async () => {
    const managed = await run(["incus", "config", "get", h.instance, "user.hostkit.managed"]);
    const marked = await run(["incus", "config", "get", h.instance, "user.testhost"]);
    expect({ managed: managed.stdout.trim(), marked: marked.stdout.trim() }).toEqual({ managed: "true", marked: "true" });
    // The same declaration incus.sh applied, planned again with its parameters (the key, the image it was made from).
    const image = (await run(["incus", "config", "get", h.instance, "user.hostkit.image"])).stdout.trim();
    const repo = join(import.meta.dir, "../..");
    const plan = await run(["bun", join(repo, "src/main.ts"), "plan", join(repo, "test/hosts/instance.ts"), "--instance", "testhost", "--detailed-exitcode"], {
      env: { NO_COLOR: "1", HOSTKIT_TESTHOST_NAME: h.instance, HOSTKIT_TESTHOST_PORT: String(h.port), HOSTKIT_TESTHOST_KEY: h.identityFile, HOSTKIT_TESTHOST_IMAGE: image, HOSTKIT_TESTHOST_PRIVILEGED: (await run(["incus", "config", "get", h.instance, "security.privileged"])).stdout.trim() || "false" },
    });
    expect({ code: plan.code, stderr: plan.stderr }).toEqual({ code: 0, stderr: "" });
    expect(plan.stdout).toContain("No changes");
  }, T);

  test("ssh with the key works (system ssh, BatchMode)", async () => {
    const r = await ssh(h, "echo ok-$(id -un)");
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ok-root");
    expect(r.code).toBe(0);
  }, T);

  test("PID 1 is systemd", async () => {
    const r = await ssh(h, "cat /proc/1/comm; readlink /proc/1/exe");
    expect(r.code).toBe(0);
    const [comm, exe] = r.stdout.trim().split("\n");
    expect(comm).toBe("systemd");
    expect(exe).toMatch(/\/systemd$/);
  }, T);

  test("systemctl is-system-running is running or degraded", async () => {
    const r = await ssh(h, "systemctl is-system-running");
    expect(["running", "degraded"]).toContain(r.stdout.trim());
  }, T);

  test("image has the tools HostKit and the benchmarks use", async () => {
    const r = await ssh(h, "for b in base64 head stat sha256sum sudo python3 nft journalctl; do command -v $b >/dev/null || echo missing:$b; done; echo done");
    expect(r.stdout.trim()).toBe("done");
  }, T);

  test("useradd + a unit + systemctl start + journalctl -u", async () => {
    const user = `u${tag}`.slice(0, 30);
    const unit = `${tag}.service`;
    const script = `set -e
useradd --system --no-create-home --shell /usr/sbin/nologin ${user}
id -u ${user} >/dev/null
cat > /etc/systemd/system/${unit} <<'UNIT'
[Unit]
Description=hostkit incus.test.ts ${tag}
[Service]
User=${user}
ExecStart=/bin/sh -c 'echo hello-from-${tag} as $(id -un); exec sleep infinity'
ProtectSystem=strict
PrivateTmp=yes
UNIT
systemctl daemon-reload
systemctl start ${unit}
systemctl is-active ${unit}
for i in $(seq 1 40); do journalctl -u ${unit} --no-pager -o cat | grep -q hello-from && break; sleep 0.1; done
journalctl -u ${unit} --no-pager -o cat
`;
    const cleanup = `systemctl stop ${unit} 2>/dev/null; rm -f /etc/systemd/system/${unit}; systemctl daemon-reload; userdel ${user} 2>/dev/null; true`;
    try {
      const r = await ssh(h, "bash -s", { stdin: script });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("active\n");
      expect(r.stdout).toContain(`hello-from-${tag} as ${user}`);
    } finally {
      await ssh(h, cleanup);
    }
  }, T);

  test("exec (incus exec, not ssh) sees what ssh wrote", async () => {
    const path = `/tmp/${tag}.txt`;
    expect((await ssh(h, `echo written-over-ssh > ${path}`)).code).toBe(0);
    const r = await h.exec(["cat", path]);
    expect(r).toEqual({ code: 0, stdout: "written-over-ssh\n", stderr: "" });
    const fail = await h.exec(["sh", "-c", `rm ${path}; exit 3`]);
    expect(fail.code).toBe(3);
    const gone = await ssh(h, `test -e ${path} && echo still-there || echo gone`);
    expect(gone.stdout.trim()).toBe("gone");
  }, T);
});

describe.skipIf(!enabled)("incus test host (privileged)", () => {
  let p: IncusTestHost;
  beforeAll(async () => {
    p = await incusHost({ privileged: true });
  }, SETUP_TIMEOUT);

  test("is a separate instance on its own port", async () => {
    expect(p.instance).toBe("hostkit-it-priv");
    expect(p.port).toBe(2223);
    expect((await p.exec(["cat", "/proc/1/comm"])).stdout).toBe("systemd\n");
    expect((await ssh(p, "hostname")).stdout.trim()).toBe("hostkit-it-priv");
  }, T);

  test("IPAddressDeny= is enforced (it is not in an unprivileged container)", async () => {
    const probe = "timeout 2 bash -c 'echo > /dev/tcp/127.0.0.1/22' && echo CONNECTED || echo BLOCKED";
    const allowed = await ssh(p, `systemd-run --wait --pipe -q bash -c "${probe}"`);
    expect(allowed.stdout.trim()).toBe("CONNECTED");
    const denied = await ssh(p, `systemd-run --wait --pipe -q -p IPAddressDeny=any bash -c "${probe}"`);
    expect(denied.stdout.trim()).toBe("BLOCKED");
  }, T);
});

describe.skipIf(!enabled)("incus test host stop/start (throwaway instance)", () => {
  const name = "hostkit-it-stopstart";
  let t: IncusTestHost;
  beforeAll(async () => {
    t = await incusHost({ name, port: 2224 });
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await run(["bash", INCUS_SH, "teardown", name]);
  }, 120_000);

  test("stop makes ssh fail, start brings it back", async () => {
    expect((await ssh(t, "true")).code).toBe(0);
    await t.stop();
    const down = await ssh(t, "true");
    expect(down.code).not.toBe(0);
    await t.start();
    const up = await ssh(t, "systemctl is-system-running");
    expect(["running", "degraded"]).toContain(up.stdout.trim());
  }, 180_000);
});

describe("testHost() selection by HOSTKIT_INTEGRATION_TOOL", () => {
  const saved = { tool: process.env.HOSTKIT_INTEGRATION_TOOL, cfg: process.env.HOSTKIT_INTEGRATION_CONFIG };
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hostkit-testhost-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  function restore() {
    for (const [k, v] of [["HOSTKIT_INTEGRATION_TOOL", saved.tool], ["HOSTKIT_INTEGRATION_CONFIG", saved.cfg]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }

  test("unset: a skip reason", async () => {
    try {
      delete process.env.HOSTKIT_INTEGRATION_TOOL;
      expect(await testHost()).toEqual({ skip: SKIP_REASON });
    } finally {
      restore();
    }
  });

  test("remote: host from the JSON config, no exec/stop", async () => {
    const file = join(dir, "hosts.json");
    writeFileSync(file, JSON.stringify({ host: "192.0.2.7", port: 2200, identityFile: "keys/id" }));
    const multi = join(dir, "multi.json");
    writeFileSync(multi, JSON.stringify({ hosts: [{ name: "a", host: "192.0.2.1" }, { name: "b", host: "192.0.2.2", user: "deploy" }] }));
    try {
      process.env.HOSTKIT_INTEGRATION_TOOL = "remote";
      process.env.HOSTKIT_INTEGRATION_CONFIG = file;
      const h = await testHost();
      expect(h).toEqual({ kind: "remote", host: "192.0.2.7", port: 2200, user: "root", identityFile: join(dir, "keys/id") });
      process.env.HOSTKIT_INTEGRATION_CONFIG = multi;
      expect(await testHost({ name: "b" })).toMatchObject({ host: "192.0.2.2", port: 22, user: "deploy", identityFile: "" });
      expect(await testHost()).toMatchObject({ host: "192.0.2.1" });
      await expect(testHost({ name: "zz" })).rejects.toThrow(/no host named "zz"/);
      writeFileSync(file, "{ not json");
      process.env.HOSTKIT_INTEGRATION_CONFIG = file;
      await expect(testHost()).rejects.toThrow(/cannot read JSON/);
    } finally {
      restore();
    }
  });

  test("any other value is an error, not a silent skip", async () => {
    try {
      process.env.HOSTKIT_INTEGRATION_TOOL = "incsu";
      await expect(testHost()).rejects.toThrow(/not supported/);
    } finally {
      restore();
    }
  });
});
