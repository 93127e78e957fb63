/**
 * Shared pieces of the real-host integration tests (test/integration/*.test.ts).
 *
 * - Which host: `HOSTKIT_INTEGRATION_TOOL=incus` (the containers of test/hosts/incus.sh) or `remote`
 *   with `HOSTKIT_INTEGRATION_CONFIG` naming either the JSON file test/hosts/testhost.ts reads, or an
 *   infra file such as examples/integration-hosts.ts whose `p.host(...)` declarations are the hosts.
 *   Unset: every test skips and prints why.
 * - The CLI under test is the COMPILED binary: `HOSTKIT_BIN`, or built once per `bun test` process
 *   from this tree with build/compile.ts (or `bun build --compile` when that script is missing).
 * - Commands on the host go through `incus exec` (incus) or the system ssh client (remote), never
 *   through HostKit itself, so a HostKit bug cannot hide behind its own reads.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { cannotRun } from "../helpers/real-host.ts";
import { isSkip, ssh, testHost, type ExecResult, type Skip, type TestHost, type TestHostOptions } from "../hosts/testhost.ts";

export const REPO = resolve(import.meta.dir, "../..");
export const TOOL = process.env.HOSTKIT_INTEGRATION_TOOL ?? "";
export const ENABLED = TOOL === "incus" || TOOL === "remote";
export const SKIP_REASON = "HOSTKIT_INTEGRATION_TOOL is not set (incus, or remote with HOSTKIT_INTEGRATION_CONFIG): real-host integration tests skipped";

/** Set-up budget (a first `incus.sh ensure` builds the image) and per-test budget. */
export const SETUP_MS = 600_000;
export const TEST_MS = 180_000;

/** Print why a file's tests are skipped (bun only shows "(skip)"); under CI that is a failure. */
export function announceSkip(file: string): void {
  cannotRun(file, ENABLED ? false : SKIP_REASON);
}

export interface Host {
  host: string;
  port: number;
  user: string;
  identityFile: string;
  /** Incus instance name (incus mode only). */
  instance?: string;
  kind: "incus" | "remote";
  /** Run a shell script on the host as root (incus exec, or ssh as the configured user). */
  sh(script: string, stdin?: string): Promise<ExecResult>;
}

function wrap(h: TestHost): Host {
  const base = { host: h.host, port: h.port, user: h.user, identityFile: h.identityFile, kind: h.kind };
  if (h.kind === "incus") {
    return { ...base, instance: h.instance, sh: (script, stdin) => h.exec(["sh", "-c", script], stdin === undefined ? {} : { stdin }) };
  }
  return { ...base, sh: (script, stdin) => ssh(h, script, stdin === undefined ? {} : { stdin }) };
}

/** Hosts declared in an infra file (examples/integration-hosts.ts) as test hosts. */
async function hostsFromInfraFile(file: string): Promise<TestHost[]> {
  const { load } = await import("../../src/load.ts");
  const project = await load(file);
  return project.hosts.map((h) => {
    const id = h.ssh.identityFile ?? "";
    const identityFile = id.startsWith("~/") ? join(process.env.HOME ?? "/root", id.slice(2)) : id && !isAbsolute(id) ? resolve(dirname(file), id) : id;
    return { kind: "remote" as const, name: h.name, host: h.at, port: h.ssh.port ?? 22, user: h.ssh.user ?? "root", identityFile };
  });
}

/**
 * The test host: the default container, `{ privileged: true }` (port 2223), or `{ name }` for another
 * declared remote host. Resolves to `{ skip }` when integration tests are off or the host is missing.
 */
export async function getHost(opts: TestHostOptions & { remoteIndex?: number } = {}): Promise<Host | Skip> {
  const tool = process.env.HOSTKIT_INTEGRATION_TOOL ?? ""; // read now: the bench sets a default
  if (tool !== "incus" && tool !== "remote") return { skip: SKIP_REASON };
  const config = process.env.HOSTKIT_INTEGRATION_CONFIG ?? "";
  if (tool === "remote" && /\.(ts|js|mjs)$/.test(config)) {
    const hosts = await hostsFromInfraFile(config);
    const h = opts.remoteIndex !== undefined ? hosts[opts.remoteIndex] : hosts[0];
    if (!h) return { skip: `${config} declares ${hosts.length} host(s); this test needs ${(opts.remoteIndex ?? 0) + 1}` };
    return wrap(h);
  }
  if (tool === "remote" && opts.remoteIndex !== undefined && opts.remoteIndex > 0) {
    return { skip: "HOSTKIT_INTEGRATION_TOOL=remote with a JSON config: a second host needs an infra-file config (examples/integration-hosts.ts)" };
  }
  const h = await testHost(tool === "remote" ? {} : opts);
  return isSkip(h) ? h : wrap(h);
}

export async function mustHost(opts?: Parameters<typeof getHost>[0]): Promise<Host> {
  const h = await getHost(opts);
  if ("skip" in h) throw new Error(h.skip);
  return h;
}

/** Run a script on the host; throws (with its output) unless it exits 0. */
export async function onHost(h: Host, script: string, stdin?: string): Promise<string> {
  const r = await h.sh(script, stdin);
  if (r.code !== 0) throw new Error(`on ${h.host}:${h.port}: exit ${r.code}: ${script.slice(0, 200)}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

// ─────────────────────────────────────────────────────────────── the binary

let built: Promise<string> | undefined;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The compiled `hostkit` binary under test. */
export function hostkitBinary(): Promise<string> {
  if (process.env.HOSTKIT_BIN) return Promise.resolve(resolve(process.env.HOSTKIT_BIN));
  built ??= (async () => {
    // Not a tempDir(): test files remove theirs when they finish, the binary serves the whole process.
    // One directory per process id; those of processes that are gone are removed here.
    for (const d of readdirSync(tmpdir())) {
      const pid = /^hostkit-it-bin-(\d+)$/.exec(d)?.[1];
      if (pid && !pidAlive(Number(pid))) rmSync(join(tmpdir(), d), { recursive: true, force: true });
    }
    const dir = join(tmpdir(), `hostkit-it-bin-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const out = join(dir, "hostkit");
    const compile = join(REPO, "build/compile.ts");
    const argv = existsSync(compile)
      ? [process.execPath, compile, "--outfile", out]
      : [process.execPath, "build", "--compile", "--minify", join(REPO, "src/main.ts"), "--outfile", out];
    // Built as a user builds it: under `bun test` NODE_ENV=test would be inlined into the bundle (and
    // consola would then hide every progress line of the binary).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k !== "NODE_ENV" && v !== undefined)) as Record<string, string>;
    const proc = Bun.spawn(argv, { cwd: REPO, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const r = { code, stdout, stderr };
    if (r.code !== 0 || !existsSync(out)) throw new Error(`building the hostkit binary failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
    return out;
  })();
  return built;
}

/** Remove the binary this process built (the next process removes it otherwise). */
export function removeBuiltBinary(): void {
  if (built) rmSync(join(tmpdir(), `hostkit-it-bin-${process.pid}`), { recursive: true, force: true });
}

export interface CliRun extends ExecResult {
  ms: number;
}

/**
 * `hostkit ARGS…` with the compiled binary. `HOSTKIT_*` test variables are not passed on. When
 * `waitForLock` is set, a refusal because ANOTHER apply (another test run on the shared host) holds the
 * host lock is retried for up to a minute.
 */
export async function hostkit(args: string[], opts: { cwd?: string; env?: Record<string, string>; waitForLock?: boolean; onSpawn?: (pid: number) => void } = {}): Promise<CliRun> {
  const bin = await hostkitBinary();
  const env: Record<string, string> = {};
  // As a user runs it: not with `bun test`'s NODE_ENV=test (consola then hides progress lines), nor our test variables.
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("HOSTKIT_TEST_") && k !== "NODE_ENV") env[k] = v;
  Object.assign(env, { NO_COLOR: "1" }, opts.env);
  for (let attempt = 0; ; attempt++) {
    const t0 = performance.now();
    const proc = Bun.spawn([bin, ...args], { cwd: opts.cwd ?? REPO, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    opts.onSpawn?.(proc.pid);
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const r = { code, stdout, stderr, ms: performance.now() - t0 };
    if (opts.waitForLock && code !== 0 && /another apply holds the host lock/.test(stderr) && attempt < 30) {
      await Bun.sleep(2000);
      continue;
    }
    return r;
  }
}

/** Lines of output that look like a stack trace or an internal error (a user error must have none). */
export function stackLines(out: string): string[] {
  return out.split("\n").filter((l) => /^\s+at\s/.test(l) || /internal error/i.test(l) || /^\s*\d+ \|/.test(l) || /\.ts:\d+:\d+\)?$/.test(l));
}

// ─────────────────────────────────────────────────────────────── infra files

const dirs: string[] = [];
/** A temp dir named `hostkit-it-<prefix>XXXXXX` (removed by `removeTempDirs`). */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `hostkit-it-${prefix}`));
  dirs.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface SshDeclOptions {
  knownHostsFile: string;
  acceptHosts?: boolean;
  retry?: unknown;
  password?: string;
  user?: string;
  identityFile?: string | null;
  sudo?: boolean;
  port?: number;
}

/** The `p.host(...)` line for a test host (`password` is source text, e.g. `secretEnv("X")`). */
export function hostLine(name: string, h: Host, o: SshDeclOptions): string {
  const ssh: string[] = [`user: ${JSON.stringify(o.user ?? h.user)}`, `port: ${o.port ?? h.port}`, `knownHostsFile: ${JSON.stringify(o.knownHostsFile)}`];
  const id = o.identityFile === undefined ? h.identityFile : o.identityFile;
  if (id) ssh.push(`identityFile: ${JSON.stringify(id)}`);
  if (o.acceptHosts ?? true) ssh.push("acceptHosts: true");
  if (o.retry !== undefined) ssh.push(`retry: ${JSON.stringify(o.retry)}`);
  if (o.password) ssh.push(`password: ${o.password}`);
  if (o.sudo) ssh.push("sudo: true");
  return `p.host(${JSON.stringify(name)}, { at: ${JSON.stringify(h.host)}, ssh: { ${ssh.join(", ")} } });`;
}

/** Write an infra file (`import { … } from "hostkit"` resolves to the binary's embedded DSL). */
export function writeInfra(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

/** Poll until `fn` resolves truthy (or throw after `ms`). */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 15_000, what = "condition"): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** A short unique tag for names on a shared host. */
export function tag(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
}

// ─────────────────────────────────────────────────────────────── accounts for password tests

/**
 * A throwaway login account with a password (set through chpasswd's stdin: never in an argv), optionally
 * with passwordless sudo. Password authentication is switched on for it alone when sshd has it off.
 * Returns the clean-up.
 */
export async function passwordUser(h: Host, name: string, password: string, opts: { sudo?: boolean } = {}): Promise<() => Promise<void>> {
  if (password.includes("\n") || password.includes(":")) throw new Error("password must not contain ':' or a newline");
  await onHost(h, `userdel -r ${name} >/dev/null 2>&1 || true; useradd -m -s /bin/sh ${name} && chpasswd`, `${name}:${password}\n`);
  if (opts.sudo) await onHost(h, `echo '${name} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/hk-${name} && chmod 0440 /etc/sudoers.d/hk-${name}`);
  const sshdConf = `/etc/ssh/sshd_config.d/hk-${name}.conf`;
  const enabled = (await onHost(h, `sshd -T -C user=${name},host=localhost,addr=127.0.0.1 2>/dev/null | grep -i '^passwordauthentication' || true`)).trim();
  let changedSshd = false;
  if (enabled !== "passwordauthentication yes") {
    await onHost(h, `mkdir -p /etc/ssh/sshd_config.d && printf 'Match User ${name}\\n  PasswordAuthentication yes\\n' > ${sshdConf} && sshd -t && systemctl reload ssh`);
    changedSshd = true;
  }
  return async () => {
    await onHost(h, `pkill -u ${name} >/dev/null 2>&1; sleep 0.2; userdel -r ${name} >/dev/null 2>&1; rm -f /etc/sudoers.d/hk-${name}; exit 0`);
    if (changedSshd) await onHost(h, `rm -f ${sshdConf} && systemctl reload ssh`);
  };
}

/** A free TCP port on 127.0.0.1 (nothing listens there once this returns). */
export async function closedPort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/** A fresh ed25519 key pair the host does not know. */
export function strangerKey(dir: string): { path: string; pub: string } {
  const path = join(dir, `stranger-${Math.random().toString(36).slice(2, 8)}`);
  const r = Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hk-stranger", "-f", path], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ssh-keygen failed: ${r.stderr.toString()}`);
  return { path, pub: readFileSync(`${path}.pub`, "utf8").trim() };
}
