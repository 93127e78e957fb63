/**
 * The compiled `hostkit` (dist/hostkit, as `bun run build` makes it) for tests that must exercise
 * exactly what users run: rebuilt here when any source is newer than it, so a test never passes
 * against a stale binary. HOSTKIT_BINARY=PATH uses another build.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { compileBinary } from "../../build/compile.ts";
import { hostkit, REPO, type CliOptions, type CliResult } from "./cli.ts";

const DIST = join(REPO, "dist/hostkit");

function newestSource(): number {
  let newest = statSync(join(REPO, "package.json")).mtimeMs;
  for (const dir of ["src", "build"]) {
    for (const f of new Bun.Glob("**/*.ts").scanSync(join(REPO, dir))) newest = Math.max(newest, statSync(join(REPO, dir, f)).mtimeMs);
  }
  return newest;
}

let ready: Promise<string> | undefined;

/** The path of an up-to-date compiled binary (built at most once per test process). */
export function binary(): Promise<string> {
  ready ??= (async () => {
    if (process.env.HOSTKIT_BINARY) return process.env.HOSTKIT_BINARY;
    if (!existsSync(DIST) || statSync(DIST).mtimeMs < newestSource()) await compileBinary({ outfile: DIST });
    return DIST;
  })();
  return ready;
}

/** `dist/hostkit ARGS…`: never throws on a non-zero exit. */
export async function hk(args: string[], opts: Omit<CliOptions, "binary"> = {}): Promise<CliResult> {
  return hostkit(args, { ...opts, binary: await binary() });
}

/** What a user error must never show: a JavaScript stack, bundle source, the binary's own paths, line 0. */
export function leaks(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^\s+at\s/.test(l) || /\$bunfs/.test(l) || /internal error/.test(l) || /^\s*\d+ \|/.test(l) || /:0: /.test(l) || l.length > 400);
}
