// `p.instance` end to end on the REAL Incus of this machine, through the compiled binary: from
// nothing one apply (container from the local hostkit-bookworm-* image, two exposed ports, a nested
// service with a tiny HTTP daemon on the guest's port 80) answers a request from the controller; a
// second plan has zero changes; a changed exposed port changes only that proxy device; a hand stop is
// drift; `down --last --instance` deletes it; a wrong SSH port fails after the bounded wait and a
// fixed file converges. Instances are hk-inst-it-*, ports 2400–2499; everything created is deleted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hk, leaks } from "../helpers/binary.ts";
import { cannotRun } from "../helpers/real-host.ts";
import { freePorts, get, incusHere, sh } from "./real-incus.ts";

const FILE = "test/instances/instance-cli.test.ts";
const STEP_MS = 240_000;

const { reason, image: IMAGE } = await incusHere();

describe.skipIf(cannotRun(FILE, reason))("p.instance on real Incus (compiled binary)", () => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-3)}`;
  const DECL = `hk_inst_it_${tag}`;
  const NAME = `hk-inst-it-${tag}`;
  let dir = "";
  let infra = "";
  let ssh = 0;
  let web = 0;
  let web2 = 0;
  let wrong = 0;

  const write = (o: { web?: number; sshPort?: number; wait?: number } = {}) =>
    writeFileSync(
      infra,
      `import { project, incus } from "hostkit";
export default project("instit", (p) => {
  p.instance("${DECL}", {
    backend: incus({ sudo: true, profiles: ["hostkit"] }),
    image: "${IMAGE}",
    expose: { ssh: { host: ${ssh}, guest: 22 }, web: { host: ${o.web ?? web}, guest: 80 } },
    waitSeconds: ${o.wait ?? 60},
  }, (i) => {
    i.host("guest", { at: "127.0.0.1", ssh: { user: "root", port: ${o.sshPort ?? ssh}, identityFile: "${dir}/id", acceptHosts: true, knownHostsFile: "${dir}/known_hosts" } });
    i.file("/srv/web/index.html", { content: "hello from ${NAME}\\n" });
    i.service("web", (s) => {
      s.daemon({ exec: ["/usr/bin/python3", "-m", "http.server", "80", "--directory", "/srv/web"] });
    });
  });
});
`,
    );
  const incusJson = async () => JSON.parse((await sh(["sudo", "-n", "incus", "query", `/1.0/instances/${NAME}`])).stdout || "null");

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hk-inst-it-"));
    infra = join(dir, "infra.ts");
    await sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hk-inst-it", "-f", join(dir, "id")]);
    const ports = freePorts(4, 2400, 2499);
    [ssh, web, web2, wrong] = [ports[0]!, ports[1]!, ports[2]!, ports[3]!];
    write();
  });

  afterAll(async () => {
    await sh(["sudo", "-n", "incus", "delete", "--force", NAME], 120_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("from nothing, one apply: the instance runs with both ports, the nested daemon answers on the exposed web port", async () => {
    const plan = await hk(["plan", infra, "--instance", DECL]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`+ instance:${DECL}`);
    expect(plan.stdout).toContain("+ file:/srv/web/index.html  instance");
    expect(plan.stdout).toContain("does not exist yet");
    const r = await hk(["apply", infra, "--instance", DECL, "--confirm", "--track"]);
    expect(leaks(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const inst = await incusJson();
    expect(inst.status).toBe("Running");
    expect(inst.devices["hk-ssh"]).toMatchObject({ type: "proxy", listen: `tcp:127.0.0.1:${ssh}`, connect: "tcp:127.0.0.1:22" });
    expect(inst.devices["hk-web"]).toMatchObject({ type: "proxy", listen: `tcp:127.0.0.1:${web}`, connect: "tcp:127.0.0.1:80" });
    const active = await sh(["sudo", "-n", "incus", "exec", NAME, "--", "systemctl", "is-active", "web.service"]);
    expect(active.stdout.trim()).toBe("active");
    expect(await get(web)).toBe(`hello from ${NAME}\n`);
  }, STEP_MS);

  test("second plan: zero changes for the instance and its contents", async () => {
    const r = await hk(["plan", infra, "--instance", DECL, "--detailed-exitcode"]);
    expect(r.stdout).toContain(`on ${DECL} (this machine)\n\nNo changes.`);
    expect(r.stdout).toContain("on guest (root@127.0.0.1");
    expect(r.code).toBe(0);
    // --host of the nested host selects the same pair
    const h = await hk(["plan", infra, "--host", "guest", "--detailed-exitcode"]);
    expect(h.code).toBe(0);
  }, STEP_MS);

  test("hostkit ssh runs a command in the guest with the declared settings", async () => {
    const r = await hk(["ssh", infra, DECL, "--", "cat", "/srv/web/index.html"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`hello from ${NAME}\n`);
    expect(r.code).toBe(0);
  }, STEP_MS);

  test("changing an exposed port changes only that proxy device", async () => {
    write({ web: web2 });
    const plan = await hk(["plan", infra, "--instance", DECL]);
    expect(plan.stdout).toContain(`~ instance:${DECL}  expose web: 127.0.0.1:${web} → guest 80 → 127.0.0.1:${web2} → guest 80`);
    expect(plan.stdout).toContain("Plan: 0 to create, 1 to update");
    const before = await incusJson();
    const r = await hk(["apply", infra, "--instance", DECL, "--confirm"]);
    expect(r.code).toBe(0);
    const after = await incusJson();
    expect(after.devices["hk-web"].listen).toBe(`tcp:127.0.0.1:${web2}`);
    expect(after.devices["hk-ssh"]).toEqual(before.devices["hk-ssh"]);
    expect(after.config["volatile.last_state.power"] ?? "RUNNING").toBe("RUNNING");
    expect(await get(web2)).toBe(`hello from ${NAME}\n`);
  }, STEP_MS);

  test("stopping the instance by hand shows as drift; apply starts it again", async () => {
    expect((await sh(["sudo", "-n", "incus", "stop", "--force", NAME])).code).toBe(0);
    const plan = await hk(["plan", infra, "--instance", DECL]);
    expect(plan.stdout).toContain("is stopped, declared running");
    expect(plan.stdout).toContain("guest is not read");
    const r = await hk(["apply", infra, "--instance", DECL, "--confirm"]);
    expect(r.code).toBe(0);
    expect((await incusJson()).status).toBe("Running");
  }, STEP_MS);

  test("after create, a wrong SSH port fails clearly after the bounded wait; the instance stays; the fixed file converges", async () => {
    // from nothing again (deleted by hand), declaring the nested host on a port nothing forwards
    expect((await sh(["sudo", "-n", "incus", "delete", "--force", NAME])).code).toBe(0);
    write({ web: web2, sshPort: wrong, wait: 4 });
    const r = await hk(["apply", infra, "--instance", DECL, "--confirm"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`SSH on 127.0.0.1:${wrong} did not answer within 4 s`);
    expect(r.stderr).toContain(`instance ${DECL}: not finished`);
    expect(leaks(r.stderr)).toEqual([]);
    expect((await incusJson()).status).toBe("Running");
    expect(r.stdout).not.toContain("file:/srv/web/index.html  file does not exist");
    write({ web: web2 });
    const fixed = await hk(["apply", infra, "--instance", DECL, "--confirm"]);
    expect(fixed.code).toBe(0);
    const again = await hk(["plan", infra, "--instance", DECL, "--detailed-exitcode"]);
    expect(again.code).toBe(0);
  }, STEP_MS);

  test("down --last --instance after the first apply deletes the instance (refused while it no longer looks as that run left it)", async () => {
    // only the first apply was tracked (--track): it is the newest up run of the instance's target;
    // its web port was moved since, so its down plan is stale until the declaration is back
    const d0 = await hk(["down", infra, "--instance", DECL, "--last", "--out", join(dir, "down0.json")]);
    expect(d0.code).toBe(0);
    const stale = await hk(["apply", "--plan", join(dir, "down0.json"), "--instance", DECL, "--confirm"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`is stale: 1 resource(s) changed on ${DECL} since it was made:\n  instance:${DECL}`);
    expect((await incusJson()).status).toBe("Running");
    write();
    expect((await hk(["apply", infra, "--instance", DECL, "--confirm"])).code).toBe(0);
    const d = await hk(["down", infra, "--instance", DECL, "--last", "--out", join(dir, "down1.json")]);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain(`- instance:${DECL}  created by the run: delete instance ${NAME}`);
    const r = await hk(["apply", "--plan", join(dir, "down1.json"), "--instance", DECL, "--confirm"]);
    expect({ code: r.code, stderr: r.code ? r.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect(await incusJson()).toBeNull();
  }, STEP_MS);
});
