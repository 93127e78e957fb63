/** @internal The compiled binary, a small project on an offline root, and editing saved plans as an attacker would. */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileBinary } from "../../build/compile.ts";
import { hostkit, stackLines, type CliResult } from "../helpers/cli.ts";
import { snapshot } from "../down/helpers.ts";

export { snapshot };

let binary = "";
const made: string[] = [];

/** Build dist-like binary once per test file (the suite runs what users run). */
export async function buildBinary(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hk-tamper-bin-"));
  made.push(dir);
  binary = join(dir, "hostkit");
  await compileBinary({ outfile: binary });
}

export function binaryPath(): string {
  return binary;
}

export function cleanupDirs(): void {
  if (!process.env.HOSTKIT_KEEP_TEMP) for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `hk-tamper-${name}-`));
  made.push(d);
  return d;
}

/** Run the compiled binary in `cwd`; fails on a stack trace (user errors never print one). */
export async function hk(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const r = await hostkit(args, { binary, cwd, env: { NODE_ENV: "production", HOSTKIT_PLAN_KEY: "", ...env } });
  if (stackLines(r.stderr).length) throw new Error(`stack trace from hostkit ${args.join(" ")}:\n${r.stderr}`);
  return r;
}

export async function ok(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const r = await hk(args, cwd, env);
  if (r.code !== 0) throw new Error(`hostkit ${args.join(" ")} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

export const sha = (b: string | Uint8Array) => createHash("sha256").update(b).digest("hex");

// biome-ignore lint: plan JSON is edited freely here, as an attacker would
export type Json = any;

export function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Write an edited copy of a plan file. */
export function tamper(from: string, to: string, edit: (p: Json) => void): string {
  const p = readJson(from);
  edit(p);
  writeFileSync(to, `${JSON.stringify(p, null, 2)}\n`);
  return to;
}

export const change = (p: Json, key: string): Json => {
  const c = p.changes.find((x: Json) => x.key === key);
  if (!c) throw new Error(`no change ${key} in the plan`);
  return c;
};
