/** Running the real `hostkit` binary (from source) and looking at what it left on disk. */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Every output of every command a test ran (the secret canary checks read it). */
export const transcript: string[] = [];

export async function hk(args: string[], o: { cwd: string; env?: Record<string, string> }): Promise<Result> {
  // --local runs share this machine's host lock with any other suite running here: wait for it.
  for (let attempt = 0; ; attempt++) {
    const r = await hkOnce(args, o);
    if (!(args.includes("--local") && r.code === 1 && r.stderr.includes("another apply holds the host lock") && attempt < 150)) return r;
    await Bun.sleep(200);
  }
}

async function hkOnce(args: string[], o: { cwd: string; env?: Record<string, string> }): Promise<Result> {
  const proc = Bun.spawn(["bun", MAIN, ...args], { cwd: o.cwd, env: { ...process.env, NO_COLOR: "1", NODE_ENV: "production", TEST: "", ...o.env }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  transcript.push(stdout, stderr);
  return { code, stdout, stderr };
}

/** `hk`, failing the test with its output when it does not exit as expected. */
export async function ok(args: string[], o: { cwd: string; env?: Record<string, string> }, expectCode = 0): Promise<Result> {
  const r = await hk(args, o);
  if (r.code !== expectCode) throw new Error(`hostkit ${args.join(" ")} exited ${r.code}, expected ${expectCode}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

const made: string[] = [];

/** Remove the temporary directories made so far (call from afterAll; keep them with HOSTKIT_KEEP_TEMP=1). */
export function cleanup(): void {
  if (!process.env.HOSTKIT_KEEP_TEMP) for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A temporary directory, removed by `cleanup()`. */
export function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `hkdown-${name}-`));
  made.push(d);
  return d;
}

/** Write an infra file into `dir`. */
export function infra(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `import { project } from "hostkit";\n${body}\n`);
  return file;
}

/**
 * A tree as comparable data: every path with its type, mode, owner ids and content hash (or link
 * target). Byte-for-byte equality of two snapshots means same bytes, owners and modes everywhere.
 */
export function snapshot(root: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const r = `${rel}/${name}`;
      if (skip(r)) continue;
      const st = lstatSync(abs);
      const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(abs)}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${meta}`;
        walk(abs, r);
      } else out[r] = `file ${meta} ${createHash("sha256").update(readFileSync(abs)).digest("hex")}`;
    }
  };
  if (existsSync(root)) walk(root, "");
  return out;
}

/** Every file under `dir` (recursively), with its mode. */
export function filesUnder(dir: string): { path: string; mode: number }[] {
  const out: { path: string; mode: number }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const abs = join(d, name);
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs);
      else out.push({ path: abs, mode: st.mode & 0o7777 });
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** The newest run id printed by `apply --track`. */
export function runIdOf(r: Result): string {
  const m = /applying \d+ change\(s\), run (\S+)/.exec(r.stderr + r.stdout);
  if (!m) throw new Error(`no run id in:\n${r.stdout}\n${r.stderr}`);
  return m[1]!;
}
