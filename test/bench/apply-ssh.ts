/**
 * First apply of the scaled workload (test/bench/workload.ts: 10 % directories, 80 % files, 10 % unit
 * files) over SSH to the Incus test host, as a user runs it (the compiled binary: process start, load,
 * connect, plan, apply). A script that prints figures; it asserts nothing about time.
 *
 *   eval "$(bash test/hosts/incus.sh env)"; HOSTKIT_INTEGRATION_TOOL=incus bun run test/bench/apply-ssh.ts
 *   … bun run test/bench/apply-ssh.ts --n 500 --runs 5
 *
 * The host is reset (resetScript) before each run, so every run is a first apply. Target (issue 9):
 * 500 resources under 2 s.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getHost, hostkit, onHost, removeTempDirs, tempDir } from "../integration/harness.ts";
import { resetScript, scaledWorkload } from "./workload.ts";

const { values: args } = parseArgs({ args: Bun.argv.slice(2), options: { n: { type: "string", default: "500" }, runs: { type: "string", default: "3" } } });
process.env.HOSTKIT_INTEGRATION_TOOL ||= "incus";
const h = await getHost();
if ("skip" in h) {
  console.log(`bench: no test host: ${h.skip}`);
  process.exit(1);
}
const dir = tempDir("hk-apply-ssh-");
const file = join(dir, "scale.ts");
const n = Number(args.n);
writeFileSync(file, scaledWorkload({ host: h.host, port: h.port, user: h.user, identityFile: h.identityFile, knownHostsFile: join(dir, "known_hosts") }, n));
const times: number[] = [];
for (let i = 0; i < Number(args.runs); i++) {
  await onHost(h, resetScript());
  const r = await hostkit(["apply", file, "--host", "bench", "--confirm"], { cwd: dir });
  if (r.code !== 0) {
    console.error(r.stdout.slice(-2000), r.stderr.slice(-2000));
    process.exit(1);
  }
  // Where the time went, by kind: the ms of a change (a batch reports the same for all its changes).
  const byKind = new Map<string, number>();
  for (const l of (r.stdout + r.stderr).split("\n")) {
    const m = /^✓ (\w+):.*\s(\d+) ms$/.exec(l);
    if (m) byKind.set(m[1]!, Math.max(byKind.get(m[1]!) ?? 0, Number(m[2])));
  }
  times.push(r.ms);
  console.error(`[bench] run ${i + 1}: ${Math.round(r.ms)} ms (${[...byKind].map(([k, ms]) => `${k} ${ms} ms`).join(", ")})`);
}
await onHost(h, resetScript());
removeTempDirs();
const sorted = [...times].sort((a, b) => a - b);
console.log(`first apply of ${n} resources over SSH (${h.user}@${h.host}:${h.port}): median ${(sorted[Math.floor((sorted.length - 1) / 2)]! / 1000).toFixed(2)} s, best ${(sorted[0]! / 1000).toFixed(2)} s, ${times.length} runs`);
