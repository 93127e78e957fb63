/**
 * @internal Shared by test/security/secrets-* and injection-*: the compiled binary (`dist/hostkit`,
 * or HOSTKIT_BIN to run these tests against another build, e.g. the code before a fix), temp dirs
 * and infra files. The binary is what users run, so these tests go through it, not through src/.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { hostkit as run, REPO, stackLines, type CliResult } from "../helpers/cli.ts";

export { REPO, stackLines, type CliResult };

export const BIN = process.env.HOSTKIT_BIN ? resolve(process.env.HOSTKIT_BIN) : join(REPO, "dist/hostkit");
if (!existsSync(BIN)) throw new Error(`${BIN} does not exist: run \`bun run build\` first (these tests run the compiled binary)`);

const made: string[] = [];
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** `dist/hostkit ARGS…` in `cwd`, no colour, production logging; `--local` runs wait for this machine's host lock. */
export async function hk(args: string[], o: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  for (let attempt = 0; ; attempt++) {
    const r = await run(args, { binary: BIN, cwd: o.cwd, env: { NODE_ENV: "production", ...o.env } });
    if (!(args.includes("--local") && r.code === 1 && r.stderr.includes("another apply holds the host lock") && attempt < 100)) return r;
    await Bun.sleep(200);
  }
}

/** An infra file (`import { project, secretEnv } from "hostkit"` prepended); returns its path. */
export function infra(dir: string, body: string, name = "config.ts"): string {
  const path = join(dir, name);
  writeFileSync(path, `import { project, secretEnv } from "hostkit";\n${body}\n`);
  return path;
}

/** Every file under `dir` (recursively) with its content, for "the canary is nowhere" checks. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (statSync(p).isFile()) out.push(p);
  }
  return out;
}

export const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, "0");

/** Exactly one `error:` line (plus an optional hint), no stack trace; returns the error line. */
export function oneDiagnostic(r: CliResult): string {
  const lines = r.stderr.trimEnd().split("\n");
  if (r.code !== 1 || lines.filter((l) => l.startsWith("error:")).length !== 1 || !lines[0]!.startsWith("error: ") || stackLines(r.stderr).length) {
    throw new Error(`expected one diagnostic and exit 1, got exit ${r.code}:\n${r.stdout}${r.stderr}`);
  }
  return lines[0]!;
}
