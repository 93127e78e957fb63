// `down --last` of a run that UPDATED an instance puts back what it changed, on the REAL Incus of
// this machine, through the compiled binary: a moved exposed port (the old proxy device back), config
// keys HostKit set (old value back, a new key unset, a key set by hand untouched), and the running
// state (a run that stopped it: the down plan starts it). A hand change since the run makes the down
// plan stale. Instances are hk-inst3-dn-*, ports 2310–2329; everything created is deleted in afterAll.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hk, leaks } from "../helpers/binary.ts";
import { cannotRun } from "../helpers/real-host.ts";
import { freePorts, incusHere, sh } from "./real-incus.ts";

const FILE = "test/instances/down-restore.test.ts";
const STEP_MS = 240_000;

const { reason, image: IMAGE } = await incusHere();

describe.skipIf(cannotRun(FILE, reason))("down --last restores what a run changed on an instance (real Incus, compiled binary)", () => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-3)}`;
  const DECL = `hk_inst3_dn_${tag}`;
  const NAME = `hk-inst3-dn-${tag}`;
  let dir = "";
  let infra = "";
  let a = 0;
  let b = 0;
  const write = (o: { web: number; config: Record<string, string>; state?: "running" | "stopped" }) =>
    writeFileSync(
      infra,
      `import { project, incus } from "hostkit";
export default project("downrestore", (p) => {
  p.instance("${DECL}", {
    backend: incus({ sudo: true, profiles: ["hostkit"] }),
    image: "${IMAGE}",
    expose: { web: { host: ${o.web}, guest: 80 } },
    config: ${JSON.stringify(o.config)},
    state: "${o.state ?? "running"}",
  });
});
`,
    );
  const inst = async () => JSON.parse((await sh(["sudo", "-n", "incus", "query", `/1.0/instances/${NAME}`])).stdout || "null");
  const downLast = async (out: string) => {
    const d = await hk(["down", infra, "--instance", DECL, "--last", "--out", join(dir, out)]);
    expect(leaks(d.stderr)).toEqual([]);
    expect(d.code).toBe(0);
    return d;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hk-inst3-dn-"));
    infra = join(dir, "infra.ts");
    [a, b] = freePorts(2, 2310, 2329) as [number, number];
  });

  afterAll(async () => {
    await sh(["sudo", "-n", "incus", "delete", "--force", NAME], 120_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a moved port and changed keys: down --last puts the old proxy device and values back", async () => {
    write({ web: a, config: { "user.hk3.role": "a" } });
    const made = await hk(["apply", infra, "--instance", DECL, "--confirm"]);
    expect({ code: made.code, stderr: made.stderr }).toMatchObject({ code: 0 });
    const first = await inst();
    expect(first.devices["hk-web"]).toMatchObject({ listen: `tcp:127.0.0.1:${a}` });
    expect((await sh(["sudo", "-n", "incus", "config", "set", NAME, "user.by-hand=1"])).code).toBe(0);

    write({ web: b, config: { "user.hk3.role": "b", "user.hk3.extra": "1" } });
    const up = await hk(["apply", infra, "--instance", DECL, "--confirm", "--track"]);
    expect({ code: up.code, stderr: up.stderr }).toMatchObject({ code: 0 });
    expect((await inst()).devices["hk-web"].listen).toBe(`tcp:127.0.0.1:${b}`);

    const d = await downLast("down1.json");
    expect(d.stdout).toContain(`~ instance:${DECL}  expose web: restore 127.0.0.1:${a} → guest 80 (+1 more)`);
    expect(d.stdout).toContain(`· restore config of ${NAME}: user.hk3.role="a", unset user.hk3.extra`);
    const r = await hk(["apply", "--plan", join(dir, "down1.json"), "--instance", DECL, "--confirm"]);
    expect(leaks(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const back = await inst();
    expect(back.devices["hk-web"]).toEqual(first.devices["hk-web"]);
    expect(back.config["user.hk3.role"]).toBe("a");
    expect(back.config["user.hk3.extra"]).toBeUndefined();
    expect(back.config["user.by-hand"]).toBe("1");
    expect(back.config["user.hostkit.keys"]).toBe(first.config["user.hostkit.keys"]);
    expect(back.status).toBe("Running");
    // the declaration still says port b: the plan shows exactly the move again
    const plan = await hk(["plan", infra, "--instance", DECL]);
    expect(plan.stdout).toContain(`expose web: 127.0.0.1:${a} → guest 80 → 127.0.0.1:${b} → guest 80`);
  }, STEP_MS);

  test("a run that stopped it: its down plan starts it again; a hand change since the run makes the down plan stale", async () => {
    write({ web: a, config: { "user.hk3.role": "a" }, state: "stopped" });
    const up = await hk(["apply", infra, "--instance", DECL, "--confirm", "--track"]);
    expect({ code: up.code, stderr: up.stderr }).toMatchObject({ code: 0 });
    expect((await inst()).status).toBe("Stopped");

    await downLast("down2.json");
    // someone moves the port by hand after the run: the down plan no longer matches what the run left
    expect((await sh(["sudo", "-n", "incus", "config", "device", "set", NAME, "hk-web", `listen=tcp:127.0.0.1:${b}`])).code).toBe(0);
    const stale = await hk(["apply", "--plan", join(dir, "down2.json"), "--instance", DECL, "--confirm"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`is stale: 1 resource(s) changed on ${DECL} since it was made:\n  instance:${DECL}`);
    expect((await inst()).status).toBe("Stopped");

    expect((await sh(["sudo", "-n", "incus", "config", "device", "set", NAME, "hk-web", `listen=tcp:127.0.0.1:${a}`])).code).toBe(0);
    const d = await downLast("down3.json");
    expect(d.stdout).toContain(`~ instance:${DECL}  stopped by the run: start instance ${NAME}`);
    const r = await hk(["apply", "--plan", join(dir, "down3.json"), "--instance", DECL, "--confirm"]);
    expect(r.code).toBe(0);
    expect((await inst()).status).toBe("Running");
  }, STEP_MS);
});
