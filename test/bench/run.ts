/**
 * `bun run bench`: HostKit (the compiled binary) against a real systemd container over SSH, and the same
 * workload as an Ansible playbook against the same container, measured in the same run. Prints a table.
 *
 *   bun run bench                       # HOSTKIT_INTEGRATION_TOOL defaults to incus here
 *   bun run bench -- --runs 7 --no-ansible
 *
 * Measures:
 * - plan with 10, 100 and 500 resources (10 % directories, 80 % files, 10 % units): on a fresh host, the
 *   first apply, and the plan of the converged host;
 * - the fixed workload (3 system users, 5 directories, 20 files, 5 unit files enabled and started): first
 *   apply and the no-op re-apply;
 * - the same workload with `ansible-playbook` (ansible-core from Debian; installed with apt-get when
 *   missing and running as root): first run and no-op re-run, plain and with pipelining.
 * The host is reset (users, directories, files and units removed) before each tool's first run, so
 * both start from the same state. Targets: plan of 500 resources < 1 s; HostKit's no-op re-apply ≥ 40×
 * faster than Ansible's best no-op. Exits 1 when a target is missed. Times are wall-clock, of the whole
 * command as a user runs it (process start, loading the infra file, SSH connect, reads, exit).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { run } from "../hosts/testhost.ts";
import { getHost, hostkit, hostkitBinary, onHost, removeBuiltBinary, removeTempDirs, tempDir, type Host } from "../integration/harness.ts";
import { ansibleInventory, ansiblePlaybook, FIXED, fixedWorkload, resetScript, scaledWorkload, type SshTarget } from "./workload.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    runs: { type: "string", default: "5" },
    "no-ansible": { type: "boolean", default: false },
    sizes: { type: "string", default: "10,100,500" },
  },
});
const RUNS = Math.max(1, Number(args.runs) || 5);
const SIZES = String(args.sizes).split(",").map(Number).filter((n) => n > 0);

process.env.HOSTKIT_INTEGRATION_TOOL ||= "incus";

const sec = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

function fail(what: string, r: { code: number; stdout: string; stderr: string }): never {
  process.stderr.write(`${what} failed (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}\n`);
  process.exit(1);
}

async function hk(label: string, argv: string[], cwd: string, expect?: RegExp): Promise<number> {
  const r = await hostkit(argv, { cwd });
  if (r.code !== 0 && !(r.code === 2 && argv.includes("--detailed-exitcode"))) fail(`hostkit ${label}`, r);
  if (expect && !expect.test(r.stdout + r.stderr)) fail(`hostkit ${label}: output does not match ${expect}`, r);
  return r.ms;
}

async function reset(h: Host): Promise<void> {
  await onHost(h, resetScript());
}

async function ensureAnsible(h: Host): Promise<string | undefined> {
  if ((await run(["sh", "-c", "command -v ansible-playbook"])).code !== 0) {
    if (process.getuid?.() !== 0) return "ansible-playbook is not installed (apt-get install -y ansible-core)";
    log("installing ansible-core (apt-get)…");
    const r = await run(["sh", "-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q ansible-core >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ansible-core >/dev/null; }"]);
    if (r.code !== 0) return `apt-get install ansible-core failed: ${r.stderr.trim().slice(-300)}`;
  }
  if ((await h.sh("command -v python3")).code !== 0) {
    log("installing python3 in the container (Ansible needs it there)…");
    const r = await h.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 >/dev/null 2>&1 || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 >/dev/null; }");
    if (r.code !== 0) return `python3 could not be installed on the host: ${r.stderr.trim().slice(-300)}`;
  }
  return undefined;
}

/** Run a command in `cwd`, collecting its output (never throws on a non-zero exit). */
async function spawn(argv: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(argv, { cwd, env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** One `ansible-playbook` run (its defaults: ssh with ControlPersist); checks the changed count. */
async function ansible(dir: string, pipelining: boolean, expectChanged: "some" | "none"): Promise<number> {
  const t0 = performance.now();
  const r = await spawn(["ansible-playbook", "-i", "inventory.ini", "play.yml"], dir, {
    ANSIBLE_CONFIG: join(dir, "ansible.cfg"),
    ANSIBLE_HOST_KEY_CHECKING: "False",
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_PIPELINING: pipelining ? "True" : "False",
    ANSIBLE_RETRY_FILES_ENABLED: "False",
  });
  const ms = performance.now() - t0;
  if (r.code !== 0) fail(`ansible-playbook${pipelining ? " (pipelining)" : ""}`, r);
  const changed = Number(/changed=(\d+)/.exec(r.stdout)?.[1] ?? NaN);
  if (expectChanged === "none" ? changed !== 0 : !(changed > 0)) fail(`ansible-playbook: expected ${expectChanged} changes, got changed=${changed}`, r);
  return ms;
}

async function main(): Promise<number> {
  const h = await getHost();
  if ("skip" in h) {
    console.log(`bench: no test host: ${h.skip}`);
    return 1;
  }
  const bin = await hostkitBinary();
  const version = (await hostkit(["--version"])).stdout.trim();
  const dir = tempDir("hk-bench-");
  const target: SshTarget = { host: h.host, port: h.port, user: h.user, identityFile: h.identityFile, knownHostsFile: join(dir, "known_hosts") };
  log(`host ${h.user}@${h.host}:${h.port}${h.instance ? ` (${h.instance})` : ""}, binary ${bin} (${version}), ${RUNS} runs per no-op figure`);
  await hk("warm-up", ["--version"], dir);

  // ── plan scaling
  const scale: { n: number; fresh: number; apply: number; converged: number }[] = [];
  for (const n of SIZES) {
    await reset(h);
    const file = join(dir, `scale-${n}.ts`);
    writeFileSync(file, scaledWorkload(target, n));
    const fresh: number[] = [];
    for (let i = 0; i < RUNS; i++) fresh.push(await hk(`plan ${n} (fresh)`, ["plan", file, "--host", "bench", "--detailed-exitcode"], dir, new RegExp(`Plan: ${n} to create`)));
    const apply = await hk(`apply ${n}`, ["apply", file, "--host", "bench", "--confirm"], dir);
    const converged: number[] = [];
    for (let i = 0; i < RUNS; i++) converged.push(await hk(`plan ${n} (converged)`, ["plan", file, "--host", "bench", "--detailed-exitcode"], dir, new RegExp(`No changes\\. ${n} resource`)));
    scale.push({ n, fresh: median(fresh), apply, converged: median(converged) });
    log(`plan ${n}: fresh ${sec(median(fresh))}, apply ${sec(apply)}, converged ${sec(median(converged))}`);
  }

  // ── the fixed workload, HostKit
  await reset(h);
  const fixed = join(dir, "fixed.ts");
  writeFileSync(fixed, fixedWorkload(target));
  const total = FIXED.users + FIXED.dirs + FIXED.dirs * FIXED.filesPerDir + FIXED.units;
  const hkFirst = await hk("apply (first)", ["apply", fixed, "--host", "bench", "--confirm"], dir, /applied: run/);
  const states = (await onHost(h, `systemctl is-enabled ${Array.from({ length: FIXED.units }, (_, i) => `hkb-svc${i + 1}.service`).join(" ")}; systemctl is-active ${Array.from({ length: FIXED.units }, (_, i) => `hkb-svc${i + 1}.service`).join(" ")}`)).trim().split("\n");
  if (states.length !== 2 * FIXED.units || states.some((s, i) => s !== (i < FIXED.units ? "enabled" : "active"))) fail("HostKit's first apply: units not enabled+active", { code: 1, stdout: states.join("\n"), stderr: "" });
  const hkNoop: number[] = [];
  for (let i = 0; i < RUNS; i++) hkNoop.push(await hk("apply (no-op)", ["apply", fixed, "--host", "bench", "--confirm"], dir, new RegExp(`No changes\\. ${total} resource`)));
  // Where a no-op's time goes: binary start; + loading the infra file; the rest is SSH and the host.
  const startMs: number[] = [];
  for (let i = 0; i < 3; i++) startMs.push(await hk("--version", ["--version"], dir));
  const start = median(startMs);
  const loadMs: number[] = [];
  for (let i = 0; i < 3; i++) loadMs.push(await hk("dump", ["dump", fixed], dir));
  log(`HostKit fixed workload: first ${sec(hkFirst)}, no-op median ${sec(median(hkNoop))} (best ${sec(Math.min(...hkNoop))})`);

  // ── the fixed workload, Ansible
  const ans: { label: string; first: number; noop: number[] }[] = [];
  let ansibleSkipped: string | undefined = args["no-ansible"] ? "--no-ansible" : undefined;
  if (!ansibleSkipped) ansibleSkipped = await ensureAnsible(h);
  if (!ansibleSkipped) {
    const adir = join(dir, "ansible");
    mkdirSync(adir, { recursive: true });
    writeFileSync(join(adir, "play.yml"), ansiblePlaybook());
    writeFileSync(join(adir, "inventory.ini"), ansibleInventory(target));
    writeFileSync(join(adir, "ansible.cfg"), "[defaults]\n"); // no user or system config changes what is measured
    const runIn = (pipelining: boolean, expect: "some" | "none") => ansible(adir, pipelining, expect);
    const ansibleRuns = Math.min(RUNS, 2);
    for (const pipelining of [false, true]) {
      await reset(h);
      const first = await runIn(pipelining, "some");
      const noop: number[] = [];
      for (let i = 0; i < ansibleRuns; i++) noop.push(await runIn(pipelining, "none"));
      ans.push({ label: pipelining ? "Ansible, pipelining=True" : "Ansible", first, noop });
      log(`${pipelining ? "Ansible (pipelining)" : "Ansible"}: first ${sec(first)}, no-op ${noop.map(sec).join(", ")}`);
    }
  }
  await reset(h);

  // ── the table
  const hkNoopMed = median(hkNoop);
  const out: string[] = [];
  out.push(`HostKit bench — ${version} against ${h.user}@${h.host}:${h.port}${h.instance ? ` (Incus container ${h.instance})` : ""}; wall-clock per command, median of ${RUNS} unless noted`);
  out.push("");
  out.push("Plan (10 % directories, 80 % files, 10 % unit files)");
  out.push("  resources   plan, fresh host   first apply   plan, converged");
  for (const s of scale) out.push(`  ${String(s.n).padEnd(10)}  ${sec(s.fresh).padStart(16)}   ${sec(s.apply).padStart(11)}   ${sec(s.converged).padStart(15)}`);
  out.push("");
  out.push(`Fixed workload: ${FIXED.users} system users, ${FIXED.dirs} directories, ${FIXED.dirs * FIXED.filesPerDir} files, ${FIXED.units} unit files enabled + started`);
  out.push("  tool                        first run   no-op re-run");
  out.push(`  ${"HostKit".padEnd(26)}  ${sec(hkFirst).padStart(9)}   ${sec(hkNoopMed)} (best ${sec(Math.min(...hkNoop))}, ${RUNS} runs)`);
  for (const a of ans) out.push(`  ${a.label.padEnd(26)}  ${sec(a.first).padStart(9)}   ${sec(Math.min(...a.noop))} (runs: ${a.noop.map(sec).join(", ")})`);
  if (ansibleSkipped) out.push(`  Ansible: not run (${ansibleSkipped})`);
  out.push("");
  out.push(`  HostKit no-op breakdown: binary start ${sec(start)}, + load/compile the infra file ${sec(Math.max(0, median(loadMs) - start))}, + SSH connect, one probe round trip, exit ${sec(Math.max(0, hkNoopMed - median(loadMs)))}`);
  out.push("");
  const checks: [string, boolean][] = [];
  const p500 = scale.find((s) => s.n === 500);
  if (p500) checks.push([`plan of 500 resources: ${sec(Math.max(p500.fresh, p500.converged))} (target < 1 s)`, Math.max(p500.fresh, p500.converged) < 1000]);
  if (ans.length) {
    const best = Math.min(...ans.flatMap((a) => a.noop));
    const ratio = best / hkNoopMed;
    checks.push([`no-op re-apply: Ansible's best ${sec(best)} / HostKit ${sec(hkNoopMed)} = ${ratio.toFixed(0)}× faster (target ≥ 40×)`, ratio >= 40]);
  }
  for (const [line, ok] of checks) out.push(`${ok ? "PASS" : "MISS"}  ${line}`);
  console.log(out.join("\n"));
  removeTempDirs();
  removeBuiltBinary();
  return checks.every(([, ok]) => ok) ? 0 : 1;
}

process.exitCode = await main();
