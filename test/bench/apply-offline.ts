/**
 * First-apply figures into an offline root, with the compiled binary as users run it (a script, not a
 * test; it prints figures and asserts nothing about time):
 *
 *   bun run test/bench/apply-offline.ts                 # 20,000 files, and a 200 MB file
 *   bun run test/bench/apply-offline.ts --files 5000 --big-mb 50
 *
 * - N files (100 per directory, 200 declared directories, ~100 bytes each) into a fresh `--root`:
 *   wall time of `hostkit apply --confirm`, then of the no-op re-apply;
 * - one file of M MB declared with `source:` into a fresh root: peak RSS (`/usr/bin/time -f %M`) of
 *   `hostkit apply`, without and with `--track`, then replaced by other bytes with `--track` (backup).
 * Targets (issue 9): 20,000 files under 20 s; 200 MB file under 300 MB peak memory.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { binary } from "../helpers/binary.ts";

const { values: args } = parseArgs({ args: Bun.argv.slice(2), options: { files: { type: "string", default: "20000" }, "big-mb": { type: "string", default: "200" }, "no-big": { type: "boolean", default: false } } });
const FILES = Number(args.files);
const BIG_MB = Number(args["big-mb"]);
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const dir = join(tmpdir(), `hk-offline-bench-${process.pid}`);
mkdirSync(dir, { recursive: true });
const bin = await binary();

function run(argv: string[]): { ms: number; rssKb?: number } {
  const t0 = performance.now();
  const r = Bun.spawnSync(["/usr/bin/time", "-f", "HKRSS %M", bin, ...argv], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", HOSTKIT_STATE_DIR: join(dir, "state") } });
  const ms = performance.now() - t0;
  const err = r.stderr.toString();
  if (r.exitCode !== 0) {
    process.stderr.write(`hostkit ${argv.join(" ")} exited ${r.exitCode}:\n${err.slice(-3000)}\n`);
    process.exit(1);
  }
  const rss = /HKRSS (\d+)/.exec(err)?.[1];
  return { ms, ...(rss ? { rssKb: Number(rss) } : {}) };
}

const out: string[] = [`HostKit offline-root bench — ${bin}`];

// ── N small files
const dirs = Math.max(1, Math.round(FILES / 100));
writeFileSync(
  join(dir, "many.ts"),
  `import { project } from "hostkit";
export default project("many", (p) => {
  for (let d = 0; d < ${dirs}; d++) p.directory(\`/srv/many/d\${d}\`, { mode: 0o755 });
  for (let i = 0; i < ${FILES}; i++) p.file(\`/srv/many/d\${i % ${dirs}}/f\${i}.conf\`, { content: \`# file \${i}\\nkey = value-\${i}\\n\`.repeat(3), mode: 0o640 });
});
`,
);
const root = join(dir, "root-many");
rmSync(root, { recursive: true, force: true });
log(`applying ${FILES} files in ${dirs} directories into a fresh root…`);
const first = run(["apply", "many.ts", "--root", root, "--confirm"]);
const noop = run(["apply", "many.ts", "--root", root, "--confirm"]);
out.push(`${FILES} files + ${dirs} directories, first apply: ${sec(first.ms)} (peak RSS ${Math.round((first.rssKb ?? 0) / 1024)} MB); no-op re-apply: ${sec(noop.ms)}`);
log(out.at(-1)!);
rmSync(root, { recursive: true, force: true });

// ── one big file from source:
if (!args["no-big"]) {
  const big = join(dir, "big.bin");
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  const fd = Bun.file(big).writer();
  for (let i = 0; i < BIG_MB; i++) fd.write(chunk);
  await fd.end();
  writeFileSync(join(dir, "big.ts"), `import { project } from "hostkit";\nexport default project("big", (p) => { p.file("/srv/big.bin", { source: ${JSON.stringify(big)}, mode: 0o644 }); });\n`);
  for (const track of [false, true]) {
    const r = join(dir, `root-big-${track}`);
    rmSync(r, { recursive: true, force: true });
    const res = run(["apply", "big.ts", "--root", r, "--confirm", ...(track ? ["--track"] : [])]);
    const ok = statSync(join(r, "srv/big.bin")).size === BIG_MB << 20;
    out.push(`${BIG_MB} MB file from source:${track ? " --track" : ""}: peak RSS ${Math.round((res.rssKb ?? 0) / 1024)} MB, ${sec(res.ms)}${ok ? "" : " (WRONG SIZE)"}`);
    log(out.at(-1)!);
    if (track) {
      // Replace it with other bytes, tracked: the previous 200 MB are backed up first.
      const other = join(dir, "big2.bin");
      const w = Bun.file(other).writer();
      for (let i = 0; i < BIG_MB; i++) w.write(chunk.map((b) => b ^ 0x5a));
      await w.end();
      writeFileSync(join(dir, "big2.ts"), `import { project } from "hostkit";\nexport default project("big", (p) => { p.file("/srv/big.bin", { source: ${JSON.stringify(other)}, mode: 0o644 }); });\n`);
      const upd = run(["apply", "big2.ts", "--root", r, "--confirm", "--track"]);
      out.push(`${BIG_MB} MB file replaced, --track (backs up the previous ${BIG_MB} MB): peak RSS ${Math.round((upd.rssKb ?? 0) / 1024)} MB, ${sec(upd.ms)}`);
      log(out.at(-1)!);
    }
    rmSync(r, { recursive: true, force: true });
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(out.join("\n"));
