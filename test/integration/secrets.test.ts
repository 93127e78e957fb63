/**
 * An SSH password from `secretEnv` never appears in a plan, in output or logs, or in any process's argv:
 * a throwaway account on the host gets a random canary password (and passwordless sudo), HostKit
 * connects with `password: secretEnv("HK_TEST_PW")`, and everything it writes, prints or runs is
 * scanned for the canary, including every local `/proc/PID/cmdline` sampled while it runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { announceSkip, ENABLED, hostkit, hostLine, mustHost, onHost, passwordUser, removeTempDirs, SETUP_MS, stackLines, tag, tempDir, TEST_MS, writeInfra, type CliRun, type Host } from "./harness.ts";

announceSkip("test/integration/secrets.test.ts");

/** Every argv on this machine, sampled as often as possible until `stop()`. */
function cmdlineSampler(): { stop(): Promise<{ argvs: Set<string>; samples: number }> } {
  const argvs = new Set<string>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const pid of readdirSync("/proc")) {
        if (!/^\d+$/.test(pid)) continue;
        try {
          argvs.add(readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " "));
        } catch {
          /* gone */
        }
      }
      samples++;
      await Bun.sleep(1);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { argvs, samples };
    },
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe.skipIf(!ENABLED)("an SSH password from secretEnv stays secret", () => {
  let h: Host;
  let dir: string;
  let drop: (() => Promise<void>) | undefined;
  const t = tag();
  const user = `hksec${t}`.slice(0, 30);
  const canary = `hkCanary${randomBytes(12).toString("hex")}`;
  const target = `/srv/hk-sec-${t}`;
  const since = new Date(Date.now() - 2000).toISOString().replace("T", " ").slice(0, 19);

  beforeAll(async () => {
    h = await mustHost();
    dir = tempDir("hk-sec-");
    drop = await passwordUser(h, user, canary, { sudo: true });
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await onHost(h, `rm -rf ${target}`);
    await drop?.();
    removeTempDirs();
  }, TEST_MS);

  test("plan, plan --json, plan --out, apply, apply --json and a refused login: no canary anywhere", async () => {
    const file = writeInfra(
      dir,
      "infra.ts",
      `import { project, secretEnv } from "hostkit";
export default project("hksec", (p) => {
  ${hostLine("it", h, { knownHostsFile: join(dir, "known_hosts"), user, identityFile: null, password: 'secretEnv("HK_TEST_PW")', sudo: true })}
  p.directory(${JSON.stringify(target)}, { mode: 0o750 });
  p.file(${JSON.stringify(`${target}/hello.txt`)}, { content: "hello\\n", mode: 0o640 });
});
`,
    );
    const env = { HK_TEST_PW: canary, SSH_AUTH_SOCK: "" };
    const sampler = cmdlineSampler();
    const runs: [string, CliRun][] = [];
    const cli = async (label: string, args: string[], e: Record<string, string> = env) => {
      const r = await hostkit(args, { cwd: dir, env: e, waitForLock: true });
      runs.push([label, r]);
      return r;
    };
    let sampled: Awaited<ReturnType<ReturnType<typeof cmdlineSampler>["stop"]>>;
    try {
      const plan = await cli("plan", ["plan", file, "--host", "it", "--out", join(dir, "plan.json")]);
      expect({ code: plan.code, stderr: plan.stderr }).toEqual({ code: 0, stderr: plan.stderr.includes("recorded host key") ? plan.stderr : "" });
      expect(plan.stdout).toContain(`+ directory:${target}`);
      expect((await cli("plan --json", ["plan", file, "--host", "it", "--json"])).code).toBe(0);
      const apply = await cli("apply --plan", ["apply", "--plan", join(dir, "plan.json"), file, "--confirm"]);
      expect(stackLines(apply.stderr)).toEqual([]);
      expect(apply.code).toBe(0);
      // It really logged in as the password account and used sudo.
      expect((await onHost(h, `stat -c '%a %U' ${target} ${target}/hello.txt`)).trim().split("\n")).toEqual(["750 root", "640 root"]);
      await onHost(h, `chmod 0755 ${target}`);
      const again = await cli("apply --json", ["apply", file, "--host", "it", "--confirm", "--json"]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('"type":"change.done"');
      const refused = await cli("wrong password", ["apply", file, "--host", "it", "--confirm"], { HK_TEST_PW: `${canary}x`, SSH_AUTH_SOCK: "" });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("authentication failed");
    } finally {
      sampled = await sampler.stop();
    }

    const leaks: string[] = [];
    for (const [label, r] of runs) {
      if (r.stdout.includes(canary)) leaks.push(`${label}: stdout`);
      if (r.stderr.includes(canary)) leaks.push(`${label}: stderr`);
    }
    for (const f of filesUnder(dir)) if (readFileSync(f, "latin1").includes(canary)) leaks.push(`file ${f}`);
    for (const a of sampled.argvs) if (a.includes(canary)) leaks.push(`argv: ${a.slice(0, 120)}`);
    const journal = await onHost(h, `journalctl --no-pager -o cat --since '${since}' 2>/dev/null | grep -c '${canary}' || true`);
    if (journal.trim() !== "0") leaks.push(`host journal: ${journal.trim()} line(s)`);
    expect(leaks).toEqual([]);

    // The scan saw what it had to: the plan artifact names the account it was made through, and the
    // sampler caught HostKit's own processes while they ran.
    const saved = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as { target: Record<string, unknown> };
    expect(saved.target).toEqual({ name: "it", transport: "ssh", host: h.host, port: h.port, user, sudo: true });
    expect([...sampled.argvs].some((a) => /hostkit (plan|apply) /.test(a))).toBe(true);
    expect(sampled.samples).toBeGreaterThan(10);
  }, TEST_MS);
});

/**
 * Issue 8, items 9 and 10 on the real host: an env secret moved to `set`, a file declared over the env
 * file, and a failing command printing a multi-line and 1–3 character secrets. No canary in any output,
 * --out plan or run record; the run directory and its files are private.
 */
describe.skipIf(!ENABLED)("env secrets on a real host: moves, a file over an env file, failing command output", () => {
  let h: Host;
  let dir: string;
  const t = tag();
  const base = `/etc/hk-sec2-${t}`;
  const middle = `hkCanaryMid${randomBytes(12).toString("hex")}`;
  const canary = `hkCanary${randomBytes(12).toString("hex")}`;
  const env = { HK_SEC: canary, HK_MULTI: `-----BEGIN K-----\n${middle}\n-----END K-----`, HK_ONE: "Q", HK_TWO: "zk", HK_THREE: "w9!" };
  const script = 'printf "multi: %s\\n" "$MULTI"; printf "middle: %s\\n" "$(printf "%s\\n" "$MULTI" | sed -n 2p)"; printf "short: %s %s %s Quiet\\n" "$ONE" "$TWO" "$THREE"; exit 3';

  beforeAll(async () => {
    h = await mustHost();
    dir = tempDir("hk-sec2-");
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await onHost(h, `rm -rf ${base}`);
    removeTempDirs();
  }, TEST_MS);

  const infra = (body: string) =>
    writeInfra(
      dir,
      "infra.ts",
      `import { project, secretEnv } from "hostkit";
export default project("hksec2", (p) => {
  ${hostLine("it", h, { knownHostsFile: join(dir, "known_hosts") })}
${body}
});
`,
    );

  test("no canary in any output, plan file or run record; run records private", async () => {
    const outputs: [string, string][] = [];
    const cli = async (label: string, args: string[], code = 0) => {
      const r = await hostkit(args, { cwd: dir, env, waitForLock: true });
      outputs.push([label, r.stdout + r.stderr]);
      expect({ label, code: r.code, stack: stackLines(r.stderr) }).toEqual({ label, code, stack: [] });
      return r;
    };
    const envFile = `${base}/app.env`;
    infra(`  p.envFile(${JSON.stringify(envFile)}, { set: { PORT: 4000 }, secret: { SEC: secretEnv("HK_SEC") } });`);
    await cli("v1 apply", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"]);
    expect(await onHost(h, `cat ${envFile}`)).toContain(`SEC=${canary}`);

    infra(`  p.envFile(${JSON.stringify(envFile)}, { set: { PORT: 4000, SEC: "nowplain" } });`);
    const v2 = await cli("v2 plan", ["plan", "infra.ts", "--host", "it", "--out", join(dir, "v2.json")]);
    expect(v2.stdout).toContain('~ SEC: (secret value changed) → "nowplain"');
    await cli("v2 apply", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"]);

    infra(`  p.envFile(${JSON.stringify(envFile)}, { set: { PORT: 4000 }, secret: { SEC: secretEnv("HK_SEC") } });`);
    await cli("v3 apply", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"]);
    infra(`  p.file(${JSON.stringify(envFile)}, { content: "PORT=4000\\n", mode: 0o644 });`);
    const v4 = await cli("v4 plan", ["plan", "infra.ts", "--host", "it", "--out", join(dir, "v4.json")]);
    expect(v4.stdout).toContain("(previous content not shown: ");
    await cli("v4 apply", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"]);

    infra(`  p.service("web", (s) => {
    s.envFile(${JSON.stringify(`${base}/cmd.env`)}, { secret: { MULTI: secretEnv("HK_MULTI"), ONE: secretEnv("HK_ONE"), TWO: secretEnv("HK_TWO"), THREE: secretEnv("HK_THREE") } });
    s.command("leak", { exec: ["sh", "-c", ${JSON.stringify(`${script} >&2`)}], env: [${JSON.stringify(`${base}/cmd.env`)}], when: "always", down: "noop" });
  });`);
    const failed = await cli("failing command", ["apply", "infra.ts", "--host", "it", "--confirm", "--track"], 1);
    expect(failed.stderr).toContain("multi: (secret) | middle: (secret) | short: (secret) (secret) (secret) Quiet");
    expect(await onHost(h, `cat ${base}/cmd.env`)).toContain(middle);

    const runs = join(dir, ".hostkit/runs");
    // Short secrets are looked for in the outputs only (a known_hosts line may well contain "zk").
    const shortLeaks = outputs.filter(([, s]) => /short: Q|\bzk\b|w9!/.test(s)).map(([w]) => w);
    for (const f of filesUnder(dir).filter((f) => !f.includes("hostkit_backups"))) outputs.push([f, readFileSync(f, "utf8")]);
    const leaks = outputs.filter(([, s]) => s.includes(canary) || s.includes(middle)).map(([w]) => w);
    expect({ leaks, shortLeaks }).toEqual({ leaks: [], shortLeaks: [] });
    const records = filesUnder(runs).filter((f) => f.endsWith("run.json")).map((f) => readFileSync(f, "utf8"));
    expect(records.some((r) => r.includes("short: (secret) (secret) (secret) Quiet"))).toBe(true);
    expect((statSync(runs).mode & 0o777).toString(8)).toBe("700");
    for (const id of readdirSync(runs)) {
      expect((statSync(join(runs, id)).mode & 0o777).toString(8)).toBe("700");
      expect((statSync(join(runs, id, "plan.json")).mode & 0o777).toString(8)).toBe("600");
    }
    for (const f of ["v2.json", "v4.json"]) expect((statSync(join(dir, f)).mode & 0o777).toString(8)).toBe("600");
  }, TEST_MS);
});
