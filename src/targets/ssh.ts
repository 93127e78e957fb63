/**
 * SSH runner: ONE connection per runner, ONE exec channel running a persistent sh driver (ssh-session.ts);
 * every command travels over it as a frame, so a command costs a round trip, not a new channel.
 *
 * Host keys are checked against known_hosts (unknown → refused unless `acceptHosts`; changed → always
 * refused). Retries apply to establishing the connection only. Passwords never appear in messages.
 */
import { readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { Client, utils, type AnyAuthMethod, type AuthenticationType, type ClientChannel, type ParsedKey } from "ssh2";
import {
  appendKnownHost,
  blobType,
  checkHostKey,
  fingerprint,
  knownHostName,
  knownKeyTypes,
  preferredHostKeyAlgorithms,
  readKnownHosts,
} from "./known-hosts.ts";
import { TransportError, type ExecOptions, type ExecResult, type Runner } from "./runner.ts";
import { FramedSession } from "./ssh-session.ts";
import { sessionCommand } from "./shell.ts";

export interface SshOptions {
  host: string;
  port?: number;
  user?: string;
  /** Path to a private key (unencrypted; use an agent for encrypted keys). `~` is expanded. */
  identityFile?: string;
  /** Already-resolved value. Never put in messages, argv or logs. */
  password?: string;
  /** ssh-agent socket; default `SSH_AUTH_SOCK`. `false` disables the agent. */
  agent?: string | false;
  /** Run every command through `sudo -n`. */
  sudo?: boolean;
  /** Record an unknown host key (in knownHostsFile) instead of refusing. A changed key is always refused. */
  acceptHosts?: boolean;
  /** Default `~/.ssh/known_hosts`. */
  knownHostsFile?: string;
  /** Connection establishment only. `number` = attempts. Default 3 attempts, 250 ms base, 2 s max. */
  retry?: false | number | { attempts: number; baseDelay: number; maxDelay: number };
  /** Handshake + authentication deadline per attempt (default 20 s). */
  connectTimeoutMs?: number;
  /**
   * Progress events. Without a handler, retries are logged (stderr) here; with one, the handler owns
   * rendering them (the CLI prints them as lines, or as JSON with --json). Recording a host key is
   * always logged on stderr as well.
   */
  onEvent?: (e: TransportEvent) => void;
}

/** A log line on stderr (never stdout: `--json` output must stay parseable). */
function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

export type TransportEvent =
  | { type: "ssh.retry"; target: string; attempt: number; attempts: number; delayMs: number; error: string }
  /** The last attempt failed too: the connection is given up (the error that follows says why). */
  | { type: "ssh.failed"; target: string; attempt: number; attempts: number; error: string }
  | { type: "ssh.connected"; target: string; ms: number; attempts: number }
  | { type: "ssh.hostkey.recorded"; target: string; fingerprint: string; file: string };

export interface SshRunner extends Runner {
  readonly transport: "ssh";
  stats(): { connects: number; channels: number };
}

export type SshFailure = "unreachable" | "auth" | "host-key" | "sudo" | "config" | "session";

/** Establishing the connection failed; `reason` tells what (only "unreachable" is retried). */
export class SshConnectError extends TransportError {
  constructor(
    message: string,
    readonly reason: SshFailure,
  ) {
    super(message, false);
  }
}

const open = new Set<SshRunner>();

/** Close every SSH runner still open (e.g. at process exit). */
export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((r) => r.close()));
}

function expandHome(path: string): string {
  return path === "~" ? homedir() : path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

function retryPolicy(r: SshOptions["retry"]): { attempts: number; baseDelay: number; maxDelay: number } {
  if (r === false) return { attempts: 1, baseDelay: 0, maxDelay: 0 };
  if (typeof r === "number") return { attempts: Math.max(1, Math.floor(r)), baseDelay: 250, maxDelay: 2000 };
  if (r) return { attempts: Math.max(1, Math.floor(r.attempts)), baseDelay: r.baseDelay, maxDelay: r.maxDelay };
  return { attempts: 3, baseDelay: 250, maxDelay: 2000 };
}

interface Method {
  label: string;
  needs: AuthenticationType;
  method: AnyAuthMethod;
}

function loadKey(path: string, explicit: boolean): ParsedKey | undefined {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    if (!explicit) return undefined;
    throw new SshConnectError(`cannot read identity file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`, "config");
  }
  const key = utils.parseKey(data);
  if (key instanceof Error || !key.isPrivateKey()) {
    if (!explicit) return undefined;
    const why = key instanceof Error ? key.message : "not a private key";
    throw new SshConnectError(`identity file ${path} cannot be used (${why}); encrypted keys go through ssh-agent`, "config");
  }
  return key;
}

function authMethods(o: SshOptions, user: string): Method[] {
  const methods: Method[] = [];
  const agent = o.agent === false ? undefined : (o.agent ?? process.env.SSH_AUTH_SOCK);
  if (agent) methods.push({ label: "agent", needs: "publickey", method: { type: "agent", username: user, agent } });
  const files = o.identityFile
    ? [expandHome(o.identityFile)]
    : o.password === undefined
      ? ["id_ed25519", "id_ecdsa", "id_rsa"].map((f) => join(homedir(), ".ssh", f))
      : [];
  for (const file of files) {
    const key = loadKey(file, o.identityFile !== undefined);
    if (key) methods.push({ label: "publickey", needs: "publickey", method: { type: "publickey", username: user, key } });
  }
  const password = o.password;
  if (password !== undefined) {
    methods.push({ label: "password", needs: "password", method: { type: "password", username: user, password } });
    methods.push({
      label: "keyboard-interactive",
      needs: "keyboard-interactive",
      method: {
        type: "keyboard-interactive",
        username: user,
        prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)),
      },
    });
  }
  return methods;
}

const RETRYABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EPIPE"]);

export async function openSsh(o: SshOptions): Promise<SshRunner> {
  const host = o.host;
  const port = o.port ?? 22;
  const user = o.user ?? process.env.USER ?? userInfo().username;
  const target = `${user}@${host}:${port}`;
  const knownHostsFile = expandHome(o.knownHostsFile ?? "~/.ssh/known_hosts");
  const policy = retryPolicy(o.retry);
  const timeout = o.connectTimeoutMs ?? 20_000;
  const emit = (e: TransportEvent) => o.onEvent?.(e);
  const methods = authMethods(o, user);
  if (methods.length === 0) {
    throw new SshConnectError(`no way to authenticate ${target}: give identityFile, password, or an ssh-agent`, "config");
  }
  const stats = { connects: 0, channels: 0 };

  const connectOnce = (): Promise<Client> =>
    new Promise<Client>((resolve, reject) => {
      const client = new Client();
      const name = knownHostName(host, port);
      const entries = readKnownHosts(knownHostsFile);
      let refusal: SshConnectError | undefined;
      const tried: string[] = [];
      let next = 0;
      let settled = false;
      client.once("ready", () => {
        settled = true;
        resolve(client);
      });
      // `on`, not `once`: ssh2 may emit more than one error, and an unheard 'error' would crash the process.
      client.on("error", (err: Error & { level?: string; code?: string }) => {
        if (settled) return; // after ready, the session's own handler reports it
        settled = true;
        client.end();
        if (refusal) return reject(refusal);
        if (err.level === "client-authentication") {
          const list = tried.length ? tried.join(", ") : "no method the server accepts";
          return reject(new SshConnectError(`authentication failed for ${target} (tried: ${list})`, "auth"));
        }
        const network = err.level === "client-socket" || err.level === "client-timeout" || RETRYABLE.has(err.code ?? "");
        reject(new SshConnectError(`cannot connect to ${target}: ${err.message}`, network ? "unreachable" : "session"));
      });
      client.on("close", () => {
        if (settled) return;
        settled = true;
        reject(refusal ?? new SshConnectError(`cannot connect to ${target}: connection closed during the handshake`, "unreachable"));
      });
      client.connect({
        host,
        port,
        username: user,
        readyTimeout: timeout,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownKeyTypes(entries, name)) },
        hostVerifier: (blob: Buffer): boolean => {
          const check = checkHostKey(entries, name, blob);
          const fp = `${blobType(blob)} ${fingerprint(blob)}`;
          if (check.kind === "known") return true;
          if (check.kind === "unknown" && o.acceptHosts) {
            appendKnownHost(knownHostsFile, name, blob);
            emit({ type: "ssh.hostkey.recorded", target, fingerprint: fp, file: knownHostsFile });
            note(`ssh ${target}: recorded host key of ${name} (${fp}) in ${knownHostsFile}`);
            return true;
          }
          refusal = new SshConnectError(
            check.kind === "unknown"
              ? `unknown host key for ${name} (${fp}): it is not in ${knownHostsFile}. Check the fingerprint, ` +
                  `then connect with acceptHosts: true (--accept-hosts) to record it (or append \`ssh-keyscan -p ${port} ${host}\` to that file)`
              : check.kind === "revoked"
                ? `host key of ${name} (${fp}) is marked @revoked in ${knownHostsFile}:${check.line}; refusing to connect`
                : `HOST KEY CHANGED for ${name}: the server offered ${fp}, but ${knownHostsFile}:${check.line} holds a ` +
                  `different ${check.type} key. This can be a man-in-the-middle attack or a reinstalled host. If the ` +
                  `change is expected, remove the old key (ssh-keygen -f ${knownHostsFile} -R '${name}') and connect ` +
                  `again with acceptHosts: true`,
            "host-key",
          );
          return false;
        },
        authHandler: (left, _partial, cb) => {
          while (next < methods.length) {
            const m = methods[next++]!;
            if (left && !left.includes(m.needs)) continue;
            if (!tried.includes(m.label)) tried.push(m.label);
            return cb(m.method);
          }
          cb(false as unknown as AuthenticationType);
        },
      });
    });

  let client: Client | undefined;
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    try {
      client = await connectOnce();
      stats.connects++;
      emit({ type: "ssh.connected", target, ms: Math.round(performance.now() - started), attempts: attempt });
      break;
    } catch (e) {
      const err = e as SshConnectError;
      if (err.reason !== "unreachable") throw err;
      if (attempt >= policy.attempts) {
        emit({ type: "ssh.failed", target, attempt, attempts: policy.attempts, error: err.message });
        const tries = policy.attempts === 1 ? "" : ` (gave up after ${policy.attempts} attempts)`;
        throw new SshConnectError(`${err.message}${tries}`, "unreachable");
      }
      const delayMs = Math.min(policy.maxDelay, policy.baseDelay * 2 ** (attempt - 1));
      emit({ type: "ssh.retry", target, attempt, attempts: policy.attempts, delayMs, error: err.message });
      if (!o.onEvent) note(`ssh ${target}: attempt ${attempt}/${policy.attempts} failed (${err.message}); retrying in ${delayMs} ms`);
      await Bun.sleep(delayMs);
    }
  }
  const conn = client;

  const channel = await new Promise<ClientChannel>((resolve, reject) =>
    conn.exec(sessionCommand({ sudo: o.sudo }), (err, ch) => (err ? reject(err) : resolve(ch))),
  ).catch((e: Error) => {
    conn.end();
    throw new SshConnectError(`${target}: cannot open the session channel: ${e.message}`, "session");
  });
  stats.channels++;
  const session = new FramedSession(
    {
      write: (b) => channel.write(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
      drain: () => new Promise<void>((resolve) => (channel.once("drain", resolve), channel.once("close", resolve))),
      end: () => channel.end(),
      destroy: () => (channel.destroy(), conn.end()),
    },
    target,
  );
  let exit = "";
  channel.on("data", (d: Buffer) => session.stdout(d));
  channel.stderr.on("data", (d: Buffer) => session.stderrData(d));
  channel.on("exit", (code: number | null, signal?: string) => {
    exit = signal ? `signal ${signal}` : `exit ${code}`;
  });
  channel.on("close", () => session.ended(exit ? `remote session ended, ${exit}` : "channel closed"));
  conn.on("error", (e: Error) => session.ended(e.message));
  let connClosed = false;
  conn.on("close", () => {
    connClosed = true;
    session.ended("connection closed");
  });

  try {
    await session.ready(timeout);
  } catch (e) {
    conn.end();
    const why = session.stderr || (e as Error).message;
    if (o.sudo && /sudo/i.test(session.stderr)) {
      throw new SshConnectError(
        `sudo -n is not allowed for ${user} on ${host}:${port}: ${session.stderr}. HostKit runs every command ` +
          `through \`sudo -n\`: give ${user} passwordless sudo (NOPASSWD) there, or connect as root without sudo`,
        "sudo",
      );
    }
    throw new SshConnectError(`${target}: the remote session did not start: ${why}`, "session");
  }

  let closing: Promise<void> | undefined;
  const runner: SshRunner = {
    transport: "ssh",
    description: `ssh ${target}${o.sudo ? " (sudo)" : ""}`,
    exec: (argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> => session.exec(argv, opts),
    stats: () => ({ ...stats }),
    close: () =>
      (closing ??= (async () => {
        open.delete(runner);
        await session.close();
        if (connClosed) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2000);
          conn.once("close", () => (clearTimeout(timer), resolve()));
          conn.end();
        });
      })()),
  };
  open.add(runner);
  return runner;
}
