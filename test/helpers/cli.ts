/** Running the real `hostkit` CLI (from source, or a compiled binary) as a user would. */
import { resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");
export const MAIN = resolve(REPO, "src/main.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Run this executable instead of `bun src/main.ts` (e.g. the compiled dist/hostkit). */
  binary?: string;
}

/** `hostkit ARGS…` from source (`bun src/main.ts`) or a given binary; never throws on a non-zero exit. */
export async function hostkit(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const cmd = opts.binary ? [opts.binary, ...args] : [process.execPath, MAIN, ...args];
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** The lines of stderr that look like a JavaScript stack trace (there must be none for user errors). */
export function stackLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^\s+at\s/.test(l) || /internal error/.test(l) || /^\s*\d+ \|/.test(l));
}
