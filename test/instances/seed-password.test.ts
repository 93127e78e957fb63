// A nested host declared with a password: HostKit sets it in the guest with chpasswd through the
// backend (the value on stdin, never argv), on the REAL Incus of this machine, through the compiled
// binary. Canary values (a long one and a 3-character one) must never show in output, plans, run
// records or the instance's config. The image has no cloud-init: the backend is the only way in.
// Instances are hk-inst3-pw-*, ports 2330–2349; everything created is deleted in afterAll.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hk, leaks } from "../helpers/binary.ts";
import { cannotRun } from "../helpers/real-host.ts";

const FILE = "test/instances/seed-password.test.ts";
const STEP_MS = 240_000;

async function sh(argv: string[], o: { stdin?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: o.stdin === undefined ? "ignore" : new TextEncoder().encode(o.stdin), timeout: o.timeoutMs ?? 120_000, killSignal: "SIGKILL" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

const infraText = (o: { dir: string; decl: string; image: string; ssh: number; password: string }) => `import { project, incus, secretEnv } from "hostkit";
export default project("seedpw", (p) => {
  p.instance("${o.decl}", {
    backend: incus({ sudo: true, profiles: ["hostkit"] }),
    image: "${o.image}",
    expose: { ssh: { host: ${o.ssh}, guest: 22 } },
  }, (i) => {
    i.host("guest", { at: "127.0.0.1", ssh: { user: "root", port: ${o.ssh}, identityFile: "${o.dir}/id", acceptHosts: true, knownHostsFile: "${o.dir}/known_hosts", password: ${o.password} } });
    i.file("/etc/hk-seed-test", { content: "x\\n" });
  });
});
`;

test("a literal password inside an instance is one load-time error naming the key (nothing contacted)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hk-inst3-pw-lit-"));
  try {
    writeFileSync(join(dir, "id.pub"), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl hk\n");
    const f = join(dir, "infra.ts");
    writeFileSync(f, infraText({ dir, decl: "lit", image: "none", ssh: 2399, password: '"hunter2-literal"' }));
    const r = await hk(["plan", f, "--instance", "lit"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ssh.password: is a literal: a password HostKit sets inside an instance must be a secret reference`);
    expect(r.stderr).toContain(`${f}:`);
    expect(r.stderr).not.toContain("hunter2-literal");
    expect(leaks(r.stderr)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

let IMAGE = "";
async function why(): Promise<string | false> {
  if (process.env.HOSTKIT_INTEGRATION_TOOL !== "incus") return "HOSTKIT_INTEGRATION_TOOL is not 'incus': real Incus instance tests skipped";
  const info = await sh(["sudo", "-n", "incus", "info"], { timeoutMs: 30_000 }).catch((e) => ({ code: 127, stdout: "", stderr: String(e) }));
  if (info.code !== 0) return `sudo -n incus does not answer (${info.stderr.trim() || info.code}); run test/hosts/incus.sh ensure`;
  IMAGE = (await sh(["sudo", "-n", "incus", "image", "alias", "list", "-f", "csv"])).stdout.split("\n").map((l) => l.split(",")[0]!).find((a) => a.startsWith("hostkit-bookworm-")) ?? "";
  if (!IMAGE) return "no local image hostkit-bookworm-* (run test/hosts/incus.sh ensure)";
  return false;
}
const reason = await why();

function freePort(): number {
  for (let p = 2330 + (process.pid % 10); p <= 2349; p++) {
    try {
      const s = Bun.listen({ hostname: "127.0.0.1", port: p, socket: { data() {} } });
      s.stop(true);
      return p;
    } catch {
      /* taken */
    }
  }
  throw new Error("no free port in 127.0.0.1:2330–2349");
}

/** Every file under dir, as text. */
function allText(dir: string): string {
  let out = "";
  for (const n of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, n);
    if (statSync(p).isFile()) out += readFileSync(p, "latin1");
  }
  return out;
}

describe.skipIf(cannotRun(FILE, reason))("password seeding through the backend (real Incus, compiled binary)", () => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-3)}`;
  const DECL = `hk_inst3_pw_${tag}`;
  const NAME = `hk-inst3-pw-${tag}`;
  // a long canary, and a 3-character one (short values are where scrubbing is easiest to get wrong)
  const LONG = `hk3-canary-${crypto.randomUUID()}`;
  const SHORT = "§¶¤";
  let dir = "";
  let infra = "";
  let ssh = 0;
  const write = (env: string) => writeFileSync(infra, infraText({ dir, decl: DECL, image: IMAGE, ssh, password: `secretEnv("${env}")` }));

  /** Whether VALUE is root's password in the guest: shadow's hash (yescrypt on bookworm) recomputed by libcrypt, the value on stdin. */
  const isRootPassword = async (value: string) => {
    const check = "import crypt, sys; h = sys.argv[1]; v = sys.stdin.buffer.readline().decode().rstrip('\\n'); print(crypt.crypt(v, h) == h)";
    const shadow = (await sh(["sudo", "-n", "incus", "exec", NAME, "--", "getent", "shadow", "root"])).stdout.split(":")[1] ?? "";
    if (!shadow.startsWith("$")) return false;
    const r = await sh(["sudo", "-n", "incus", "exec", NAME, "-T", "--", "python3", "-W", "ignore", "-c", check, shadow], { stdin: `${value}\n` });
    return r.stdout.trim() === "True";
  };
  const config = async () => (await sh(["sudo", "-n", "incus", "config", "show", NAME])).stdout;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hk-inst3-pw-"));
    infra = join(dir, "infra.ts");
    await sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hk-inst3-pw", "-f", join(dir, "id")]);
    ssh = freePort();
    write("HK3_PW");
  });

  afterAll(async () => {
    await sh(["sudo", "-n", "incus", "delete", "--force", NAME], { timeoutMs: 120_000 });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("from nothing: the password is set with chpasswd on stdin; the value is in no output, plan, run record or config", async () => {
    const env = { HK3_PW: LONG };
    const plan = await hk(["plan", infra, "--instance", DECL, "--out", join(dir, "p.json")], { env });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("set root's password from $HK3_PW (chpasswd through the backend)");
    const dry = await hk(["apply", infra, "--instance", DECL, "--dry-run"], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/incus --project default exec hk-inst3-pw-\S+ -T -- chpasswd\n/);
    const r = await hk(["apply", infra, "--instance", DECL, "--confirm", "--track", "--json"], { env });
    expect(leaks(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(await isRootPassword(LONG)).toBe(true);
    const cfg = await config();
    expect(cfg).toContain("user.hostkit.seed-password: root:env:HK3_PW");
    for (const [what, text] of [["stdout", r.stdout], ["stderr", r.stderr], ["plan output", plan.stdout + dry.stdout], ["files under the project dir (plan, run records)", allText(dir)], ["incus config", cfg]] as const) {
      expect({ what, leaked: text.includes(LONG) }).toEqual({ what, leaked: false });
    }
    // a second plan: nothing to set again
    const again = await hk(["plan", infra, "--instance", DECL, "--detailed-exitcode"], { env });
    expect(again.stdout).not.toContain("password");
    expect(again.code).toBe(0);
  }, STEP_MS);

  test("another secret named: set again, a 3-character value included; still in no output or file", async () => {
    write("HK3_PW2");
    const env = { HK3_PW2: SHORT };
    const r = await hk(["apply", infra, "--instance", DECL, "--confirm", "--track"], { env });
    expect(leaks(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("set root's password from $HK3_PW2");
    expect(await isRootPassword(SHORT)).toBe(true);
    expect(await isRootPassword(LONG)).toBe(false);
    for (const text of [r.stdout, r.stderr, allText(dir), await config()]) expect(text.includes(SHORT)).toBe(false);
  }, STEP_MS);

  test("a value with a line break (it would set another user's password) is refused; nothing is set; the value is not shown", async () => {
    write("HK3_PW3");
    const evil = `x9Q\nnobody:owned`;
    const r = await hk(["apply", infra, "--instance", DECL, "--confirm"], { env: { HK3_PW3: evil } });
    expect(r.code).toBe(1);
    expect(leaks(r.stderr)).toEqual([]);
    expect(r.stderr).toContain("secret HK3_PW3: contains a line break or NUL: it cannot be passed as one line");
    expect(r.stderr + r.stdout).not.toContain("nobody:owned");
    expect(await isRootPassword(SHORT)).toBe(true);
    expect((await config())).toContain("user.hostkit.seed-password: root:env:HK3_PW2");
  }, STEP_MS);

  test("an unset secret is one clear error before anything is applied", async () => {
    write("HK3_PW_UNSET");
    const r = await hk(["apply", infra, "--instance", DECL, "--confirm"], { env: {} });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("HK3_PW_UNSET");
    expect(r.stderr).toContain("is not set");
    expect(leaks(r.stderr)).toEqual([]);
    expect(await isRootPassword(SHORT)).toBe(true);
  }, STEP_MS);
});
