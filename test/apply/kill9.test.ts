/**
 * kill -9 of the applier at random points during a large apply never leaves a partially written file.
 *
 * What it does: 1,000 files of 64 KiB under --root, each with distinctive content per version
 * ("old:0007:old:0007:…", "new:0007:…"). After applying "old", it runs TRIALS applies that flip the
 * version (new, old, new, …), each killed with SIGKILL after a random delay (seeded; the seed is
 * printed). Even trials kill only the applier process (its `sh` writers are orphaned and see their
 * stdin cut short); odd trials kill its whole process group (writers die mid-step too). After every
 * kill it checks ALL 1,000 paths: each is absent, or has exactly the old bytes, or exactly the new bytes,
 * and mode 0644 (a temp file's 0600 never shows through); nothing else is in the directory but
 * `.hostkit-tmp.*` leftovers (files of the one-file writer, staging directories of the batched one).
 * These applies run batched (scripts.ts WRITE_FILES: ~16 of these files per op, staged, synced, then
 * renamed), so the invariant covers the batched path: a kill while staging, syncing or renaming leaves
 * every file old or new. Each following trial breaks the stale lock with --break-lock. Finally one
 * more apply converges (a plan then has no changes) and removes the leftover temp files it finds.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { hostkit, MAIN, removeTempDirs, REPO, tempDir, USER_ENV } from "../plan/helpers.ts";
import { bigContent, bigProject, lockHolder, sleep } from "./big.ts";

afterAll(removeTempDirs);

const TRIALS = 24;
// Batched applies write ~16 MB per step: enough files that a kill lands mid-apply.
const N = 1000;
const SIZE = 64 * 1024;

test(`kill -9 at random points, ${TRIALS} trials: every file is absent, old or new — never partial`, async () => {
  const seed = Number(process.env.HOSTKIT_KILL_SEED ?? Date.now() % 2147483647);
  let state = seed;
  const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
  const dir = tempDir("hostkit-kill9-");
  const root = join(dir, "root");
  const config = bigProject(dir, N, SIZE);
  const big = join(root, "big");
  const want = { old: Array.from({ length: N }, (_, i) => bigContent("old", i, SIZE)), new: Array.from({ length: N }, (_, i) => bigContent("new", i, SIZE)) };

  const first = await hostkit(["apply", config, "--root", root, "--confirm"], { env: { BIG_VERSION: "old" } });
  expect(first.code).toBe(0);

  const tally = { checks: 0, absent: 0, old: 0, new: 0, killedHoldingLock: 0, leftoverTemps: 0 };
  for (let t = 0; t < TRIALS; t++) {
    const version = t % 2 === 0 ? "new" : "old";
    const group = t % 2 === 1;
    // setsid: the applier leads its own process group, so the odd trials can kill it with its children.
    const proc = Bun.spawn(["setsid", process.execPath, MAIN, "apply", config, "--root", root, "--confirm", "--break-lock"], { cwd: REPO, env: { ...USER_ENV, BIG_VERSION: version }, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    // Every kill comes after this apply took the host lock (bounded wait), at a random point after it:
    // mid-write, mid-rename, or after the apply finished — whichever the machine's speed makes it.
    for (let waited = 0; lockHolder(root)?.pid !== proc.pid && proc.exitCode === null && waited < 60_000; waited += 20) await sleep(20);
    await sleep(random() * 1500);
    const holding = lockHolder(root)?.pid === proc.pid;
    if (group) {
      try {
        process.kill(-proc.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    } else proc.kill("SIGKILL");
    await proc.exited;
    if (holding) tally.killedHoldingLock++;

    const names = readdirSync(big);
    const temps = names.filter((n) => n.startsWith(".hostkit-tmp."));
    expect(names.filter((n) => !n.startsWith(".hostkit-tmp.") && !/^f\d+\.dat$/.test(n))).toEqual([]);
    tally.leftoverTemps = temps.length;
    for (let i = 0; i < N; i++) {
      const path = join(big, `f${i}.dat`);
      tally.checks++;
      if (!existsSync(path)) {
        tally.absent++;
        continue;
      }
      const bytes = readFileSync(path, "latin1");
      const which = bytes === want.old[i] ? "old" : bytes === want.new[i] ? "new" : "PARTIAL";
      // Reported by path and length only: a 64 KiB mismatch must not flood the output.
      if (which === "PARTIAL") expect({ trial: t, path, length: bytes.length, head: bytes.slice(0, 24) }).toEqual({ trial: t, path, length: SIZE, head: "(exactly old or new)" });
      expect({ trial: t, path, mode: (statSync(path).mode & 0o7777).toString(8) }).toEqual({ trial: t, path, mode: "644" });
      tally[which as "old" | "new"]++;
    }
  }
  console.log(`kill -9: seed ${seed}, ${TRIALS} trials (${tally.killedHoldingLock} killed while holding the lock, i.e. mid-apply); ${tally.checks} file checks: ${tally.old} old, ${tally.new} new, ${tally.absent} absent, 0 partial; ${tally.leftoverTemps} temp file(s) left after the last kill`);
  // The invariant is "0 partial files" (checked above for every file of every trial). How many kills
  // land mid-apply, and how many files the trials moved, depend on the machine's speed and load:
  // they are reported above, not thresholded.

  // The next apply converges (breaking the stale lock), and cleans up leftover temp files where it writes.
  const converge = await hostkit(["apply", config, "--root", root, "--confirm", "--break-lock"], { env: { BIG_VERSION: "final" } });
  expect(converge.code).toBe(0);
  const again = await hostkit(["plan", config, "--root", root, "--detailed-exitcode"], { env: { BIG_VERSION: "final" } });
  expect(again.code).toBe(0);
  expect(readdirSync(big).filter((n) => n.startsWith(".hostkit-tmp."))).toEqual([]);
  for (let i = 0; i < N; i++) expect(readFileSync(join(big, `f${i}.dat`), "latin1") === bigContent("final", i, SIZE)).toBe(true);
}, 300_000);
