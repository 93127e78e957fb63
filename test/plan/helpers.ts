/** @internal Shared by test/plan and test/apply: temp dirs, the real CLI, infra files, reading a tree back. */
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");
export const MAIN = join(REPO, "src/main.ts");

const made: string[] = [];

/** Remove every temp dir made so far. Each test file registers it: `afterAll(removeTempDirs)`. */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A temp dir, removed by `removeTempDirs` (after the test file). */
export function tempDir(prefix = "hostkit-test-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a user's shell has (bun test sets NODE_ENV=test, which silences consola's progress lines). */
export const USER_ENV: Record<string, string | undefined> = { ...process.env, NODE_ENV: "production", NO_COLOR: "1" };

/**
 * `hostkit ARGS…` from source, no TTY, NO_COLOR; never throws on a non-zero exit. `--local` runs share
 * this machine's host lock with any other suite running here at the same time: they wait for it.
 */
export async function hostkit(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<Cli> {
  for (let attempt = 0; ; attempt++) {
    const r = await hostkitOnce(args, opts);
    if (!(args.includes("--local") && r.code === 1 && r.stderr.includes("another apply holds the host lock") && attempt < 100)) return r;
    await Bun.sleep(200);
  }
}

async function hostkitOnce(args: string[], opts: { env?: Record<string, string>; cwd?: string }): Promise<Cli> {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], { cwd: opts.cwd ?? REPO, env: { ...USER_ENV, ...opts.env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** Writes an infra file (`import { project, secretEnv } from "hostkit"` is prepended) and returns its path. */
export function infraFile(dir: string, body: string, name = "config.ts"): string {
  const path = join(dir, name);
  writeFileSync(path, `import { project, secretEnv } from "hostkit";\n${body}\n`);
  return path;
}

export interface Entry {
  type: "file" | "dir" | "link";
  mode: number;
  uid: number;
  gid: number;
  content?: Buffer;
  target?: string;
}

/** Every entry under `root` (paths relative to it, starting with "/"). */
export function readTree(root: string, skip: (rel: string) => boolean = () => false): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const r = `${rel}/${name}`;
      if (skip(r)) continue;
      const st = lstatSync(join(root, r));
      const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (st.isSymbolicLink()) out.set(r, { type: "link", ...base, target: readlinkSync(join(root, r)) });
      else if (st.isDirectory()) {
        out.set(r, { type: "dir", ...base });
        walk(r);
      } else out.set(r, { type: "file", ...base, content: readFileSync(join(root, r)) });
    }
  };
  walk("");
  return out;
}

/** name → id from an offline tree's own etc/passwd or etc/group. */
export function idsOf(root: string, db: "passwd" | "group"): Map<string, number> {
  const m = new Map<string, number>();
  let text = "";
  try {
    text = readFileSync(join(root, "etc", db), "utf8");
  } catch {
    /* no accounts in the tree */
  }
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    if (name && id !== undefined) m.set(name, Number(id));
  }
  if (!m.has("root")) m.set("root", 0);
  return m;
}
