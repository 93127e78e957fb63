/**
 * Debian's caddy on the controller (`apt-get install -y caddy`), run as the test's own process with a
 * private HOME: `caddy validate` provisions `tls internal`'s local CA under $HOME, which must not be
 * root's real home (integrations.md §1.5; observed). Nothing here starts the caddy service.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ActivationIO } from "../../src/caddy/commands.ts";
import { cannotRun } from "../helpers/real-host.ts";

function probe(): string | undefined {
  if (!Bun.which("caddy")) return "caddy is not installed on the controller (apt-get install -y caddy)";
  const r = Bun.spawnSync(["caddy", "version"], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) return `caddy version failed (exit ${r.exitCode}): ${r.stderr.toString().trim()}`;
  return undefined;
}

/** Why Caddy tests cannot run here (printed; a failure under CI), or false. */
export function caddyUnavailable(file: string): boolean {
  return cannotRun(file, probe() ?? false);
}

/** A private directory for this test process; HOME for caddy lives inside it. */
export const root = mkdtempSync(join(tmpdir(), "hostkit-caddytest-"));
export const home = join(root, "home");
mkdirSync(home, { recursive: true });

let n = 0;
/** A fresh directory under the private root. */
export function freshDir(name = "d"): string {
  const d = join(root, `${n++}-${name}`);
  mkdirSync(d, { recursive: true });
  return d;
}

export function write(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run an argv with caddy's HOME/XDG dirs inside the private root. */
export function run(argv: string[]): Run {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, "data"), XDG_CONFIG_HOME: join(home, "config") } });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** `caddy validate --adapter caddyfile --config FILE`, as the test user. */
export function validate(file: string): Run {
  return run(["caddy", "validate", "--adapter", "caddyfile", "--config", file]);
}

/** The adapted JSON config of a Caddyfile. */
export function adapt(file: string): unknown {
  const r = run(["caddy", "adapt", "--adapter", "caddyfile", "--config", file]);
  if (r.code !== 0) throw new Error(`caddy adapt ${file} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Async form of `run`, for code that must not block the event loop (an in-process upstream). */
export async function runAsync(argv: string[]): Promise<Run> {
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, "data"), XDG_CONFIG_HOME: join(home, "config") } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** The applier's part of an activation, on local files (mode applied) and local processes. */
export const localIO: ActivationIO = {
  async write(path, content, mode) {
    writeFileSync(path, content, { mode });
  },
  async remove(path) {
    rmSync(path, { force: true });
  },
  exec: runAsync,
};
