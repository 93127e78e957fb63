// Saved plans of an instance with nested contents, on the REAL Incus of this machine, through the
// compiled binary: `plan --instance --out` saves the instance's plan carrying its nested host's (a
// preview while the instance does not exist); `apply --plan` refuses an edited nested part, a stale
// instance, a stale guest, an edited signature, and applies an intact plan (instance, then contents).
// Instances are hk-inst3-sp-*, ports 2350–2399; everything created is deleted in afterAll.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hk, leaks } from "../helpers/binary.ts";
import { cannotRun } from "../helpers/real-host.ts";
import { freePorts, get, incusHere, sh } from "./real-incus.ts";

const FILE = "test/instances/saved-pair.test.ts";
const STEP_MS = 240_000;

const { reason, image: IMAGE } = await incusHere();

type Json = Record<string, any>;
const readJson = (p: string): Json => JSON.parse(readFileSync(p, "utf8"));

describe.skipIf(cannotRun(FILE, reason))("saved plans of an instance with contents (real Incus, compiled binary)", () => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-3)}`;
  const DECL = `hk_inst3_sp_${tag}`;
  const NAME = `hk-inst3-sp-${tag}`;
  let dir = "";
  let infra = "";
  let ssh = 0;
  let web = 0;
  const at = (f: string) => join(dir, f);
  const write = (content: string, o: { service?: boolean } = {}) =>
    writeFileSync(
      infra,
      `import { project, incus } from "hostkit";
export default project("savedpair", (p) => {
  p.instance("${DECL}", {
    backend: incus({ sudo: true, profiles: ["hostkit"] }),
    image: "${IMAGE}",
    expose: { ssh: { host: ${ssh}, guest: 22 }, web: { host: ${web}, guest: 80 } },
  }, (i) => {
    i.host("guest", { at: "127.0.0.1", ssh: { user: "root", port: ${ssh}, identityFile: "${dir}/id", acceptHosts: true, knownHostsFile: "${dir}/known_hosts" } });
    i.file("/srv/web/index.html", { content: ${JSON.stringify(content)} });
    ${o.service === false ? "" : `i.service("web", (s) => {
      s.daemon({ exec: ["/usr/bin/python3", "-m", "http.server", "80", "--directory", "/srv/web"] });
    });`}
  });
});
`,
    );
  const exists = async () => (await sh(["sudo", "-n", "incus", "query", `/1.0/instances/${NAME}`])).code === 0;
  const guestFile = async () => (await sh(["sudo", "-n", "incus", "exec", NAME, "--", "cat", "/srv/web/index.html"])).stdout;
  /** A copy of a saved plan with `edit` applied to its parsed JSON. */
  const tampered = (from: string, to: string, edit: (p: Json) => void) => {
    const p = readJson(at(from));
    edit(p);
    writeFileSync(at(to), JSON.stringify(p));
    return at(to);
  };
  const nestedChange = (p: Json, key: string) => p.nested.plan.changes.find((c: Json) => c.key === key);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hk-inst3-sp-"));
    infra = join(dir, "infra.ts");
    await sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hk-inst3-sp", "-f", join(dir, "id")]);
    [ssh, web] = freePorts(2, 2350, 2399) as [number, number];
    write("one\n");
  });

  afterAll(async () => {
    await sh(["sudo", "-n", "incus", "delete", "--force", NAME], 120_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("from nothing: the saved plan carries the contents as a preview; an edited preview is refused before anything runs; the intact plan applies the instance, then its contents", async () => {
    const made = await hk(["plan", infra, "--instance", DECL, "--out", at("p1.json")]);
    expect(made.code).toBe(0);
    const p1 = readJson(at("p1.json"));
    expect(p1.target).toMatchObject({ name: DECL, transport: "local" });
    expect(p1.changes.map((c: Json) => [c.key, c.action])).toEqual([[`instance:${DECL}`, "create"]]);
    expect(p1.nested.preview).toBe(true);
    expect(p1.nested.plan.target).toMatchObject({ name: "guest", transport: "ssh", host: "127.0.0.1", port: ssh });
    expect(p1.nested.plan.changes.map((c: Json) => c.key).sort()).toEqual(["file:/srv/web/index.html", "systemd_service:web.service"]);

    // hostkit show prints both parts, as plan did
    const shown = await hk(["show", at("p1.json")]);
    expect(shown.stdout).toContain(`Plan for savedpair on ${DECL} (this machine)`);
    expect(shown.stdout).toContain(`Plan for savedpair on guest (root@127.0.0.1:${ssh})`);
    expect(shown.stdout).toContain("+ file:/srv/web/index.html");

    // an unsigned plan does not choose its own target
    const unnamed = await hk(["apply", "--plan", at("p1.json"), "--confirm"]);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toContain(`pass --instance ${DECL} to apply it to that instance`);

    const edited = tampered("p1.json", "t1.json", (p) => (nestedChange(p, "file:/srv/web/index.html").resource.content = "pwned\n"));
    const r1 = await hk(["apply", "--plan", edited, "--instance", DECL, "--confirm"]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(`error: plan ${edited} (nested host guest): is refused: it is not what ${infra} declares; nothing was applied:\n  file:/srv/web/index.html: differs from the declaration in: resource.content`);
    expect(leaks(r1.stderr)).toEqual([]);
    // a resource the declarations do not have, slipped into the preview
    const added = tampered("p1.json", "t1b.json", (p) => p.nested.plan.changes.push({ ...nestedChange(p, "file:/srv/web/index.html"), key: "file:/root/.ssh/authorized_keys", id: "/root/.ssh/authorized_keys" }));
    const r1b = await hk(["apply", "--plan", added, "--instance", DECL, "--confirm"]);
    expect(r1b.code).toBe(1);
    expect(r1b.stderr).toContain("file:/root/.ssh/authorized_keys: is not a resource");
    // claiming the guest was read while the instance does not exist yet
    const read = tampered("p1.json", "t1c.json", (p) => (p.nested.preview = false));
    const r1c = await hk(["apply", "--plan", read, "--instance", DECL, "--confirm"]);
    expect(r1c.code).toBe(1);
    expect(r1c.stderr).toContain("nested.preview: the instance's change comes first");
    expect(await exists()).toBe(false);

    // a dry run reads and checks, prints the instance's commands, and creates nothing
    const dry = await hk(["apply", "--plan", at("p1.json"), "--instance", DECL, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`incus --project default create ${IMAGE} ${NAME}`);
    expect(dry.stderr).toContain("the commands for guest are decided once it answers");
    expect(await exists()).toBe(false);

    const ok = await hk(["apply", "--plan", at("p1.json"), "--instance", DECL, "--confirm", "--track"]);
    expect(leaks(ok.stderr)).toEqual([]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`instance ${DECL}: applied`);
    expect(ok.stderr).toContain("guest answers now; its contents, planned against it (limited to what the saved plan lists)");
    expect(await get(web)).toBe("one\n");
  }, STEP_MS);

  test("the same plan again is stale: the instance exists now", async () => {
    const r = await hk(["apply", "--plan", at("p1.json"), "--instance", DECL, "--confirm"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: plan ${at("p1.json")}: is stale: 1 resource(s) changed on ${DECL} since it was made:\n  instance:${DECL}`);
  }, STEP_MS);

  test("a read plan: a hand edit in the guest after it makes it stale; an edited nested change is refused; a fresh one applies (selected by --host)", async () => {
    write("two\n");
    const made = await hk(["plan", infra, "--instance", DECL, "--out", at("p2.json")]);
    expect(made.code).toBe(0);
    const p2 = readJson(at("p2.json"));
    expect(p2.changes).toEqual([]);
    expect(p2.nested.preview).toBe(false);
    expect(p2.nested.plan.changes.map((c: Json) => [c.key, c.action])).toEqual([["file:/srv/web/index.html", "update"]]);

    expect((await sh(["sudo", "-n", "incus", "exec", NAME, "--", "sh", "-c", "echo by-hand > /srv/web/index.html"])).code).toBe(0);
    const stale = await hk(["apply", "--plan", at("p2.json"), "--confirm", "--instance", DECL]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`error: plan ${at("p2.json")} (nested host guest): is stale: 1 resource(s) changed on guest since it was made:\n  file:/srv/web/index.html`);
    expect(await guestFile()).toBe("by-hand\n");

    // without an infra file: found through the sources of the nested changes
    expect((await hk(["plan", infra, "--instance", DECL, "--out", at("p3.json")])).code).toBe(0);
    const edited = tampered("p3.json", "t3.json", (p) => (nestedChange(p, "file:/srv/web/index.html").after.mode = "0777"));
    const r = await hk(["apply", "--plan", edited, "--instance", DECL, "--confirm"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("file:/srv/web/index.html: its after is not what the declaration gives");
    expect(await guestFile()).toBe("by-hand\n");

    const ok = await hk(["apply", "--plan", at("p3.json"), "--host", "guest", "--confirm"]);
    expect(leaks(ok.stderr)).toEqual([]);
    expect(ok.code).toBe(0);
    expect(await get(web)).toBe("two\n");
  }, STEP_MS);

  test("signed: the plan chooses its own target; an edit of its nested part breaks the signature", async () => {
    const env = { HOSTKIT_PLAN_KEY: "hk-inst3-test-signing-key-0123456789" };
    write("three\n");
    expect((await hk(["plan", infra, "--instance", DECL, "--out", at("p4.json")], { env })).code).toBe(0);
    expect(readJson(at("p4.json")).signature).toMatchObject({ alg: "hmac-sha256" });
    const edited = tampered("p4.json", "t4.json", (p) => (nestedChange(p, "file:/srv/web/index.html").resource.content = "four\n"));
    const r = await hk(["apply", "--plan", edited, "--confirm"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("has a signature that does not verify with HOSTKIT_PLAN_KEY");
    const ok = await hk(["apply", "--plan", at("p4.json"), "--confirm"], { env });
    expect(ok.code).toBe(0);
    expect(await get(web)).toBe("three\n");
  }, STEP_MS);

  test("a stopped instance: its contents are a preview; planned once it answers, a change the preview does not list (a prune) is refused on the guest", async () => {
    write("three\n", { service: false });
    expect((await sh(["sudo", "-n", "incus", "stop", "--force", NAME])).code).toBe(0);
    expect((await hk(["plan", infra, "--instance", DECL, "--out", at("p5.json")])).code).toBe(0);
    const p5 = readJson(at("p5.json"));
    expect(p5.nested.preview).toBe(true);
    expect(p5.nested.plan.changes.map((c: Json) => c.key)).toEqual(["file:/srv/web/index.html"]);
    const r = await hk(["apply", "--plan", at("p5.json"), "--instance", DECL, "--confirm"]);
    expect(r.code).toBe(1);
    expect(leaks(r.stderr)).toEqual([]);
    expect(r.stderr).toContain(`instance ${DECL}: applied`);
    expect(r.stderr).toContain(`error: plan ${at("p5.json")} (nested host guest): is refused for guest: planned against it now that it answers, its contents hold changes the saved plan does not list; nothing was applied on guest:\n  systemd_service:web.service: delete`);
    // the instance was started (its own change, listed); nothing changed inside
    expect((await sh(["sudo", "-n", "incus", "exec", NAME, "--", "systemctl", "is-active", "web.service"])).stdout.trim()).toBe("active");
    expect(await guestFile()).toBe("three\n");
  }, STEP_MS);
});
