/**
 * The one interface every target implements (local machine, SSH host). The planner and applier only
 * ever talk to a Runner; adapters live beside this file and pass one contract suite
 * (test/targets/contract.ts).
 *
 * Commands are always argv arrays. Nothing outside `shell.ts` builds shell text.
 */

/**
 * Stdin produced while the command runs (large payloads are never held whole): exactly `size` bytes
 * in chunks. If the producer throws (a source file changed under it), the command must not get a
 * complete stdin: the local runner closes it short, the SSH runner drops the session before the frame
 * is complete (the remote driver never runs a command whose stdin was cut short).
 */
export interface StdinStream {
  size: number;
  chunks(): AsyncIterable<Uint8Array>;
}

export interface ExecOptions {
  /** Bytes (or UTF-8 text, or a stream) fed to the command's stdin. Secrets travel here, never in argv. */
  stdin?: Uint8Array | string | StdinStream;
  /** Give up on this command after this long (the command is reported as failed, code 124). */
  timeoutMs?: number;
}

export interface ExecResult {
  /** Exit status; 128+N when killed by signal N. */
  code: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

export interface Runner {
  /** "local" or "ssh" — shown in plans and run records. */
  readonly transport: "local" | "ssh";
  /** Human description for messages, e.g. `ssh root@127.0.0.1:2222 (sudo)`. Never contains secrets. */
  readonly description: string;
  /**
   * Run one command. `sudo` configured on the runner applies to every command (`sudo -n`).
   * A non-zero exit is a result, not an exception. Throws `TransportError` only when the transport
   * itself failed (connection lost, cannot spawn): then the command may or may not have run.
   */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Release the connection / session. Idempotent. */
  close(): Promise<void>;
}

/** The transport failed (not the command). `sent` tells whether the command may have started. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    message: string,
    readonly sent: boolean,
  ) {
    super(message);
  }
}

const decoder = new TextDecoder();
/** Decode command output as UTF-8 (lossy) for messages and text parsing. */
export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function isStream(x: ExecOptions["stdin"]): x is StdinStream {
  return typeof x === "object" && x !== null && !(x instanceof Uint8Array);
}

/** Collect a stream (small payloads only: tests, adapters without streaming). */
export async function streamBytes(s: StdinStream): Promise<Uint8Array> {
  const out = new Uint8Array(s.size);
  let at = 0;
  for await (const c of s.chunks()) {
    out.set(c, at);
    at += c.length;
  }
  if (at !== s.size) throw new Error(`stdin stream gave ${at} of ${s.size} bytes`);
  return out;
}
