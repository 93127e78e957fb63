/**
 * A secret canary set in the controller's environment reaches the env file on the target (with its
 * declared mode) and nowhere else: not the plan file, not --json output, not progress logs, not an
 * error message (a later command prints the secret to stderr and fails), and not any process's argv
 * while the apply runs (a separate sampler reads every /proc/PID/cmdline in a tight loop).
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { hostkit, infraFile, removeTempDirs, tempDir } from "../plan/helpers.ts";

afterAll(removeTempDirs);

const CANARY = `canary-${randomUUID()}`;

const SAMPLER = `import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
const canary = process.env.SAMPLER_CANARY, out = process.argv[2];
const hits = [], seen = new Set();
let samples = 0;
const until = Date.now() + 120000;
while (!existsSync(out + ".stop") && Date.now() < until) {
  for (const pid of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(pid) || Number(pid) === process.pid) continue;
    let c;
    try { c = readFileSync("/proc/" + pid + "/cmdline", "latin1"); } catch { continue; }
    if (c.includes(canary)) hits.push(c.split("\\0").join(" "));
    for (const tag of ["hostkit-write", "hostkit-lock", "token is $TOKEN"]) if (c.includes(tag)) seen.add(tag);
  }
  samples++;
  if (samples === 1) writeFileSync(out + ".ready", "");
}
writeFileSync(out, JSON.stringify({ samples, hits, seen: [...seen] }));
`;

test("the canary reaches the env file and appears nowhere else", async () => {
  const dir = tempDir("hostkit-canary-");
  const env = { HK_CANARY: CANARY };
  const config = infraFile(
    dir,
    `export default project("canary", (p) => {
  p.roots({ config: ${JSON.stringify(join(dir, "etc"))} });
  p.service("web", (s) => {
    s.env("runtime", { set: { PORT: 4000 }, secret: { TOKEN: secretEnv("HK_CANARY") }, mode: 0o640, group: "root" });
    // Runs after the env file is written, prints the secret on stderr and fails: the error must be scrubbed.
    s.command("leak", { exec: ["sh", "-c", "sleep 0.3; echo \\"token is $TOKEN\\" >&2; exit 3"], env: ["runtime"], when: "always", down: "noop" });
  });
});`,
  );
  const envPath = join(dir, "etc/web/runtime.env");
  const planPath = join(dir, "plan.json");

  const planned = await hostkit(["plan", config, "--local", "--out", planPath, "--json"], { env });
  expect(planned.code).toBe(0);
  const planText = readFileSync(planPath, "utf8");
  expect(planText).toContain('"$secret": {\n');
  expect(planText).toContain('"env": "HK_CANARY"');
  const human = await hostkit(["plan", config, "--local"], { env });
  expect(human.stdout).toContain("+ TOKEN=(secret from $HK_CANARY)");

  // Sample every process's argv while the apply runs.
  const samplerFile = join(dir, "sampler.ts");
  const report = join(dir, "sampler.json");
  writeFileSync(samplerFile, SAMPLER);
  const sampler = Bun.spawn([process.execPath, samplerFile, report], { env: { ...process.env, SAMPLER_CANARY: CANARY }, stdout: "ignore", stderr: "inherit" });
  for (let i = 0; i < 500 && !existsSync(`${report}.ready`); i++) await Bun.sleep(10);
  const appliedJson = await hostkit(["apply", "--plan", planPath, "--local", "--confirm", "--json"], { env });
  const appliedText = await hostkit(["apply", config, "--local", "--confirm"], { env });
  writeFileSync(`${report}.stop`, "");
  await sampler.exited;
  const sampled = JSON.parse(readFileSync(report, "utf8")) as { samples: number; hits: string[]; seen: string[] };

  // It did reach the target, with the declared mode…
  expect(readFileSync(envPath, "utf8")).toContain(`TOKEN=${CANARY}\n`);
  expect((statSync(envPath).mode & 0o777).toString(8)).toBe("640");
  // …and the failing command's error was real, and scrubbed.
  expect(appliedJson.code).toBe(1);
  expect(appliedText.code).toBe(1);
  expect(appliedJson.stdout).toContain("token is (secret)");
  expect(appliedText.stderr).toContain("token is (secret)");
  const outputs = { planFile: planText, planJson: planned.stdout + planned.stderr, planHuman: human.stdout + human.stderr, applyJson: appliedJson.stdout + appliedJson.stderr, applyText: appliedText.stdout + appliedText.stderr };
  for (const [where, s] of Object.entries(outputs)) expect({ where, leaks: s.includes(CANARY) }).toEqual({ where, leaks: false });
  // The sampler watched the writers and the command run, and never saw the canary in an argv.
  expect(sampled.hits).toEqual([]);
  expect(sampled.seen.sort()).toEqual(["hostkit-lock", "hostkit-write", "token is $TOKEN"]);
  expect(sampled.samples).toBeGreaterThan(20);
  console.log(`secret canary: ${sampled.samples} samples of every /proc/*/cmdline during two applies, 0 hits`);
}, 60_000);
