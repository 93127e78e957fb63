/**
 * test/hosts/testhost.ts — a real systemd test host for integration tests (Bun).
 *
 *   const h = await testHost();
 *   if ("skip" in h) { console.log(`[skip] ${h.skip}`); ... }
 *
 * Selected by HOSTKIT_INTEGRATION_TOOL:
 *
 * - unset / empty: `{ skip: "HOSTKIT_INTEGRATION_TOOL is not 'incus' — integration tests skipped" }`.
 *   Tests print that reason themselves (and skip with `test.skipIf`).
 *
 * - `incus`: an Incus system container running systemd as PID 1, made by `test/hosts/incus.sh`
 *   and reachable as `ssh -i <identityFile> -p <port> root@127.0.0.1` (an Incus proxy device).
 *     testHost()                          -> `incus.sh ensure`: instance $HOSTKIT_INCUS_INSTANCE
 *                                            (default hostkit-it) on $HOSTKIT_INCUS_SSH_PORT (2222;
 *                                            testHost({ port }) passes that port instead)
 *     testHost({ privileged: true })      -> `incus.sh launch hostkit-it-priv 2223 --privileged`
 *                                            (security.privileged: systemd enforces IPAddressDeny=
 *                                            and DevicePolicy= only there)
 *     testHost({ name, port, privileged }) -> `incus.sh launch NAME PORT [--privileged]`
 *   Launch is idempotent: an existing instance is started if stopped and reused as it is.
 *   The first ensure on a fresh machine takes ~2 minutes (CI runs `.ci/setup-incus.sh` first),
 *   later ones ~1 s, one more container ~5 s: call testHost() in `beforeAll(fn, 600_000)`.
 *   The result also has `exec(argv)` (`incus exec` into the container, not over ssh — for hand
 *   edits behind HostKit's back), `stop()` and `start()` (the whole container; start waits for ssh).
 *   Stopping the shared default host disturbs other tests: use a named instance for that.
 *
 * - `remote`: a pre-existing host, read from the JSON file named by HOSTKIT_INTEGRATION_CONFIG:
 *     { "host": "203.0.113.10", "port": 22, "user": "root", "identityFile": "~/.ssh/id_ed25519" }
 *   `port` defaults to 22, `user` to "root"; `identityFile` may start with "~/"; a relative path
 *   is relative to the config file. A file may instead hold several hosts,
 *     { "hosts": [ { "name": "web1", "host": ..., ... }, ... ] }
 *   and `opts.name` picks one by name (default: the first). No `exec`/`stop`/`start` there.
 *
 * Any other value of HOSTKIT_INTEGRATION_TOOL is an error (a typo must not skip silently).
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { homedir } from "node:os";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface HostBase {
  host: string;
  port: number;
  user: string;
  /** private key file for ssh -i */
  identityFile: string;
}

export interface IncusTestHost extends HostBase {
  kind: "incus";
  instance: string;
  /** run argv inside the container with `incus exec` (no ssh); never throws on a non-zero exit */
  exec(argv: string[], opts?: { stdin?: string }): Promise<ExecResult>;
  /** stop the container (ssh then gets "connection refused") */
  stop(): Promise<void>;
  /** start it again and wait until ssh works */
  start(): Promise<void>;
}

export interface RemoteTestHost extends HostBase {
  kind: "remote";
  instance?: undefined;
  exec?: undefined;
  stop?: undefined;
  start?: undefined;
}

export type TestHost = IncusTestHost | RemoteTestHost;
export type Skip = { skip: string };

export interface TestHostOptions {
  privileged?: boolean;
  name?: string;
  port?: number;
}

/** absolute path of test/hosts/incus.sh */
export const INCUS_SH = new URL("./incus.sh", import.meta.url).pathname;

export const SKIP_REASON = "HOSTKIT_INTEGRATION_TOOL is not 'incus' — integration tests skipped";

/** name and port used by testHost({ privileged: true }) without a name */
export const PRIVILEGED_DEFAULT = { name: "hostkit-it-priv", port: 2223 } as const;

export function isSkip(h: TestHost | Skip): h is Skip {
  return "skip" in h;
}

/** run a command, collect its output; never throws on a non-zero exit */
export async function run(argv: string[], opts: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<ExecResult> {
  const proc = Bun.spawn(argv, {
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...opts.env },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

async function incusSh(args: string[], env: Record<string, string | undefined> = {}): Promise<string> {
  const r = await run(["bash", INCUS_SH, ...args], { env });
  if (r.code !== 0) {
    const tail = r.stderr.trim().split("\n").slice(-15).join("\n");
    throw new Error(`test/hosts/incus.sh ${args.join(" ")} failed (exit ${r.code}):\n${tail}`);
  }
  return r.stdout;
}

/** parse `incus.sh env` output (`export K=V` lines, values %q-quoted without spaces) */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/\\(.)/g, "$1");
  }
  return out;
}

// one ensure/launch per instance per process: test files share the same host
const cache = new Map<string, Promise<IncusTestHost>>();

async function incusHost(opts: TestHostOptions): Promise<IncusTestHost> {
  let args: string[];
  let name: string;
  const env: Record<string, string> = {};
  if (opts.name === undefined && !opts.privileged) {
    name = process.env.HOSTKIT_INCUS_INSTANCE || "hostkit-it";
    args = ["ensure"];
    if (opts.port !== undefined) env.HOSTKIT_INCUS_SSH_PORT = String(opts.port);
  } else {
    name = opts.name ?? PRIVILEGED_DEFAULT.name;
    const port = opts.port ?? (opts.name === undefined ? PRIVILEGED_DEFAULT.port : undefined);
    if (port === undefined) throw new Error(`testHost({ name: "${name}" }) needs a port`);
    args = ["launch", name, String(port), ...(opts.privileged ? ["--privileged"] : [])];
  }
  const key = name;
  const hit = cache.get(key);
  if (hit) return hit;
  const p = (async () => {
    await incusSh(args, env);
    const vars = parseEnv(await incusSh(["env", name]));
    const host: IncusTestHost = {
      kind: "incus",
      host: vars.HOSTKIT_TEST_SSH_HOST ?? "127.0.0.1",
      port: Number(vars.HOSTKIT_TEST_SSH_PORT),
      user: vars.HOSTKIT_TEST_SSH_USER ?? "root",
      identityFile: vars.HOSTKIT_TEST_SSH_KEY ?? "",
      instance: name,
      exec: (argv, o) => run(["bash", INCUS_SH, "exec", name, "--", ...argv], { stdin: o?.stdin }),
      stop: async () => {
        await incusSh(["stop", name]);
      },
      start: async () => {
        await incusSh(["start", name]);
      },
    };
    if (!Number.isInteger(host.port) || host.port <= 0) throw new Error(`incus.sh env ${name}: no port`);
    return host;
  })();
  cache.set(key, p);
  p.catch(() => cache.delete(key));
  return p;
}

function expandPath(p: string, base: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(base, p);
}

async function remoteHost(opts: TestHostOptions): Promise<RemoteTestHost> {
  const file = process.env.HOSTKIT_INTEGRATION_CONFIG;
  if (!file) throw new Error("HOSTKIT_INTEGRATION_TOOL=remote needs HOSTKIT_INTEGRATION_CONFIG (a JSON file)");
  let cfg: unknown;
  try {
    cfg = JSON.parse(await Bun.file(file).text());
  } catch (e) {
    throw new Error(`HOSTKIT_INTEGRATION_CONFIG=${file}: cannot read JSON: ${(e as Error).message}`);
  }
  type Entry = { name?: unknown; host?: unknown; port?: unknown; user?: unknown; identityFile?: unknown };
  let entry: Entry | undefined;
  if (cfg && typeof cfg === "object" && Array.isArray((cfg as { hosts?: unknown }).hosts)) {
    const hosts = (cfg as { hosts: Entry[] }).hosts;
    entry = opts.name === undefined ? hosts[0] : hosts.find((h) => h?.name === opts.name);
    if (!entry) throw new Error(`HOSTKIT_INTEGRATION_CONFIG=${file}: no host${opts.name ? ` named "${opts.name}"` : ""}`);
  } else {
    entry = cfg as Entry;
  }
  if (!entry || typeof entry.host !== "string" || entry.host === "")
    throw new Error(`HOSTKIT_INTEGRATION_CONFIG=${file}: "host" (string) is required`);
  const port = entry.port === undefined ? 22 : Number(entry.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`HOSTKIT_INTEGRATION_CONFIG=${file}: bad "port"`);
  if (entry.identityFile !== undefined && typeof entry.identityFile !== "string")
    throw new Error(`HOSTKIT_INTEGRATION_CONFIG=${file}: "identityFile" must be a string`);
  return {
    kind: "remote",
    host: entry.host,
    port,
    user: typeof entry.user === "string" && entry.user ? entry.user : "root",
    identityFile: entry.identityFile ? expandPath(entry.identityFile, dirname(resolve(file))) : "",
  };
}

export async function testHost(opts: TestHostOptions = {}): Promise<TestHost | Skip> {
  const tool = process.env.HOSTKIT_INTEGRATION_TOOL ?? "";
  if (tool === "") return { skip: SKIP_REASON };
  if (tool === "incus") return incusHost(opts);
  if (tool === "remote") return remoteHost(opts);
  throw new Error(`HOSTKIT_INTEGRATION_TOOL=${tool} is not supported (use "incus" or "remote", or leave it unset)`);
}

/** ssh options for the system `ssh` binary: key, port, no host-key prompts, no agent prompts */
export function sshArgs(h: HostBase): string[] {
  const a = [
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "BatchMode=yes",
    "-o", "LogLevel=ERROR",
    "-o", "ConnectTimeout=5",
    "-p", String(h.port),
  ];
  if (h.identityFile) a.push("-i", h.identityFile, "-o", "IdentitiesOnly=yes");
  return a;
}

/** run a shell command on the host with the system `ssh` binary */
export function ssh(h: HostBase, command: string, opts: { stdin?: string } = {}): Promise<ExecResult> {
  return run(["ssh", ...sshArgs(h), `${h.user}@${h.host}`, command], opts);
}
