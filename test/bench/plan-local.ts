/**
 * Plan and no-op apply wall time for 10, 100 and 1,000 resources (a script, not a test):
 *
 *   bun run test/bench/plan-local.ts            # sizes 10 100 1000, median of 5
 *   bun run test/bench/plan-local.ts 10 100 1000 3000
 *
 * Each project is files (~90%), directories (~10%) and a few units. It is applied once, then
 * `hostkit plan` and `hostkit apply --confirm` (nothing to do) are timed as a user runs them (a fresh
 * `bun src/main.ts` process each time: startup, load, one batched probe, diff, output), with --root,
 * and with --local into a temp dir (files and directories only: units cannot be enabled here).
 * It also times the planner alone in-process (probe + parse + diff), and says how cost grows.
 * Target: 1,000 resources planned in under 1 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { load } from "../../src/load.ts";
import { planHost } from "../../src/plan/planner.ts";
import { localRunner } from "../../src/targets/local.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length ? sizes : [10, 100, 1000];
const RUNS = 5;

function project(dir: string, n: number, base: string, units: boolean): string {
  const nUnits = units ? Math.min(5, Math.max(1, Math.round(n / 200))) : 0;
  const nDirs = Math.max(1, Math.round(n / 10));
  const nFiles = n - nDirs - nUnits;
  const body = `import { project } from "hostkit";
export default project("bench", (p) => {
  for (let d = 0; d < ${nDirs}; d++) p.directory(\`${base}/d\${d}\`, { mode: 0o750 });
  for (let i = 0; i < ${nFiles}; i++) p.file(\`${base}/d\${i % ${nDirs}}/f\${i}.conf\`, { content: \`# file \${i}\\nkey = value-\${i}\\n\`.repeat(8), mode: 0o640 });
  for (let u = 0; u < ${nUnits}; u++) p.service(\`svc\${u}\`, (s) => s.daemon({ exec: ["/usr/bin/sleep", "infinity"] }));
});
`;
  const file = join(dir, `bench-${n}${units ? "" : "-local"}.ts`);
  writeFileSync(file, body);
  return file;
}

function run(args: string[]): number {
  const t0 = performance.now();
  const r = Bun.spawnSync([process.execPath, MAIN, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`hostkit ${args.join(" ")} exited ${r.exitCode}: ${r.stderr.toString().slice(0, 500)}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  n: number;
  target: string;
  plan: number;
  noop: number;
  core: number;
}

const rows: Row[] = [];
const work = mkdtempSync(join(tmpdir(), "hostkit-bench-"));
try {
  for (const n of SIZES) {
    for (const target of ["root", "local"] as const) {
      const where = join(work, `${target}-${n}`);
      const file = target === "root" ? project(work, n, "/srv/bench", true) : project(work, n, where, false);
      const flags = target === "root" ? ["--root", where] : ["--local"];
      const applied = Bun.spawnSync([process.execPath, MAIN, "apply", file, ...flags, "--confirm"], { stdout: "ignore", stderr: "pipe" });
      if (applied.exitCode !== 0) throw new Error(`first apply failed: ${applied.stderr.toString().slice(0, 500)}`);
      const plan = median(Array.from({ length: RUNS }, () => run(["plan", file, ...flags, "--detailed-exitcode"])));
      const noop = median(Array.from({ length: RUNS }, () => run(["apply", file, ...flags, "--confirm"])));
      const p = await load(file);
      const ctx = target === "root" ? { root: where } : {};
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const planned = await planHost({ project: p.project, resources: p.resources, runner: localRunner(), ctx, target: { name: target, transport: target === "root" ? "root" : "local" } });
        times.push(performance.now() - t0);
        if (planned.changes.length) throw new Error(`${target} ${n}: expected no changes after apply, got ${planned.changes.length}`);
      }
      const core = median(times);
      rows.push({ n, target, plan, noop, core });
      console.error(`… ${target} ${n}: plan ${plan.toFixed(0)} ms`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const pad = (s: string | number, w: number) => String(s).padStart(w);
console.log(`\nhostkit plan / no-op apply, wall time, median of ${RUNS} (bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs)\n`);
console.log(`${pad("resources", 10)} ${pad("target", 7)} ${pad("plan ms", 9)} ${pad("no-op apply ms", 15)} ${pad("planner only ms", 16)}`);
for (const r of rows) console.log(`${pad(r.n, 10)} ${pad(r.target, 7)} ${pad(r.plan.toFixed(0), 9)} ${pad(r.noop.toFixed(0), 15)} ${pad(r.core.toFixed(1), 16)}`);

console.log("");
for (const target of ["root", "local"]) {
  const rs = rows.filter((r) => r.target === target).sort((a, b) => a.n - b.n);
  if (rs.length < 2) continue;
  // Linear or better: from each size to the next, the time grows by no more than the size does.
  const steps = rs.slice(1).map((r, i) => ({ from: rs[i]!, to: r, sizeX: r.n / rs[i]!.n, timeX: r.plan / rs[i]!.plan }));
  const ok = steps.every((x) => x.timeX <= x.sizeX);
  console.log(`${target}: ${steps.map((x) => `${x.from.n}→${x.to.n} resources (${x.sizeX.toFixed(0)}x): plan time ${x.timeX.toFixed(2)}x`).join("; ")} — ${ok ? "linear or better" : "WORSE than linear"}`);
  const per = (last: Row, prev: Row) => (last.core - prev.core) / (last.n - prev.n);
  if (rs.length >= 2) console.log(`${target}: planner alone costs ${(per(rs.at(-1)!, rs.at(-2)!) * 1000).toFixed(0)} µs per added resource at the largest size (fixed cost ≈ ${rs[0]!.core.toFixed(0)} ms)`);
  const at1000 = rs.find((r) => r.n === 1000);
  if (at1000) console.log(`${target}: 1,000 resources planned in ${at1000.plan.toFixed(0)} ms (target < 1000 ms): ${at1000.plan < 1000 ? "met" : "NOT met"}`);
}
