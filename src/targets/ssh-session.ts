/**
 * One persistent remote session: a POSIX-sh driver loop (shell.ts SESSION_DRIVER) running in ONE exec
 * channel, fed framed requests and answering framed results. Transport-agnostic: the SSH runner wires an
 * ssh2 channel to it; a local `sh -c` process works the same (used by tests).
 *
 * Commands run strictly one after another (concurrent `exec` calls queue). If the stream ends while a
 * command is in flight the call rejects with TransportError(sent=true) and the session is dead: nothing
 * is ever re-sent.
 */
import { isStream, TransportError, type ExecOptions, type ExecResult, type StdinStream } from "./runner.ts";
import { encodeHead, encodeRequest, ProtocolError, SessionDecoder } from "./shell.ts";

export interface SessionIo {
  /** Returns false when the transport's buffer is full (then wait for `drain` before writing more). */
  write(bytes: Uint8Array): boolean | void;
  /** Resolves when the transport can take more bytes (streamed stdin: bounded memory). */
  drain?(): Promise<void>;
  /** Send EOF: the driver leaves its loop, removes its temp dir and exits. */
  end(): void;
  /** Tear the stream down without waiting. */
  destroy(): void;
}

/** Extra time the client waits past a command's own timeout before giving up on the session. */
const WATCHDOG_GRACE_MS = 15_000;

interface InFlight {
  argv0: string;
  resolve(r: ExecResult): void;
  reject(e: Error): void;
  timer?: ReturnType<typeof setTimeout>;
}

export class FramedSession {
  private readonly decoder = new SessionDecoder();
  private tail: Promise<unknown> = Promise.resolve();
  private current: InFlight | undefined;
  private deadReason: string | undefined;
  private stderrTail = "";
  private readyWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private closedWaiters: (() => void)[] = [];
  private closing = false;

  constructor(
    private readonly io: SessionIo,
    /** Names the peer in messages, e.g. `root@127.0.0.1:2222`. */
    private readonly label: string,
  ) {}

  get dead(): boolean {
    return this.deadReason !== undefined;
  }

  /** The last bytes the driver itself wrote to stderr (e.g. a sudo refusal), for messages. */
  get stderr(): string {
    return this.stderrTail.trim();
  }

  /** Resolves once the driver announced itself; rejects if the stream ends first. */
  ready(timeoutMs: number): Promise<void> {
    if (this.decoder.ready) return Promise.resolve();
    if (this.dead) return Promise.reject(new TransportError(this.deadMessage(), false));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new TransportError(`${this.label}: remote session did not start within ${timeoutMs} ms`, false));
      }, timeoutMs);
      this.readyWaiters.push({
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  /** Feed bytes the driver wrote to stdout. */
  stdout(chunk: Uint8Array): void {
    try {
      this.decoder.push(chunk);
    } catch (e) {
      const why = e instanceof ProtocolError ? e.message : String(e);
      this.ended(`protocol error: ${why}`);
      this.io.destroy();
      return;
    }
    if (this.decoder.ready) for (const w of this.readyWaiters.splice(0)) w.resolve();
    for (let r = this.decoder.take(); r; r = this.decoder.take()) {
      const c = this.current;
      this.current = undefined;
      if (c?.timer) clearTimeout(c.timer);
      c?.resolve(r);
    }
  }

  /** Feed bytes the driver (not a command: those go to files) wrote to stderr. */
  stderrData(chunk: Uint8Array): void {
    this.stderrTail = (this.stderrTail + Buffer.from(chunk).toString("utf8")).slice(-2000);
  }

  /** The stream is gone (channel closed, connection lost). */
  ended(reason: string): void {
    if (this.deadReason !== undefined) return;
    this.deadReason = reason;
    const err = new TransportError(this.deadMessage(), false);
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
    const c = this.current;
    this.current = undefined;
    if (c) {
      if (c.timer) clearTimeout(c.timer);
      c.reject(
        new TransportError(
          `${this.label}: connection lost while running \`${c.argv0}\` (${reason}); ` +
            "it may or may not have completed and is not re-run",
          true,
        ),
      );
    }
    for (const w of this.closedWaiters.splice(0)) w();
  }

  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) return Promise.reject(new TypeError("exec needs a non-empty argv"));
    if (this.closing) return Promise.reject(new TransportError(`${this.label}: runner is closed`, false));
    let frame: Uint8Array;
    const stream = isStream(opts.stdin) ? opts.stdin : undefined;
    try {
      // validates argv before queueing
      frame = isStream(opts.stdin) ? encodeHead(argv, opts.stdin.size, opts.timeoutMs) : encodeRequest(argv, opts.stdin, opts.timeoutMs);
    } catch (e) {
      return Promise.reject(e);
    }
    const run = (): Promise<ExecResult> =>
      new Promise<ExecResult>((resolve, reject) => {
        if (this.dead) {
          reject(new TransportError(this.deadMessage(), false));
          return;
        }
        const inflight: InFlight = { argv0: argv[0]!, resolve, reject };
        this.current = inflight;
        if (opts.timeoutMs !== undefined) {
          inflight.timer = setTimeout(() => {
            this.ended(`no answer ${opts.timeoutMs! + WATCHDOG_GRACE_MS} ms after start`);
            this.io.destroy();
          }, opts.timeoutMs + WATCHDOG_GRACE_MS);
        }
        try {
          this.io.write(frame);
        } catch (e) {
          this.ended(`write failed: ${(e as Error).message}`);
          return;
        }
        if (stream) this.pump(stream, inflight);
      });
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Write a streamed stdin after its frame header, waiting for the transport to drain. A producer that
   * fails (or gives the wrong length) leaves the frame incomplete: the session is dropped, so the remote
   * driver sees a stdin cut short and never runs the command; the call rejects with the producer's error.
   */
  private async pump(stream: StdinStream, inflight: InFlight): Promise<void> {
    let sent = 0;
    try {
      for await (const chunk of stream.chunks()) {
        if (this.dead) return;
        sent += chunk.length;
        if (sent > stream.size) throw new Error(`stdin stream gave more than its ${stream.size} bytes`);
        const more = this.io.write(chunk);
        if (more === false && this.io.drain) await this.io.drain();
      }
      if (sent !== stream.size) throw new Error(`stdin stream gave ${sent} of ${stream.size} bytes`);
    } catch (e) {
      if (this.current === inflight) this.current = undefined;
      if (inflight.timer) clearTimeout(inflight.timer);
      this.ended(`stdin of \`${inflight.argv0}\` failed: ${(e as Error).message}`);
      this.io.destroy();
      inflight.reject(new Error(`${(e as Error).message} (the connection was dropped before the command's stdin was complete: it did not run)`));
    }
  }

  /** Let queued commands finish, send EOF, wait (bounded) for the stream to end. Idempotent. */
  async close(graceMs = 2000): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      await this.tail;
      if (!this.dead) {
        const done = new Promise<void>((r) => this.closedWaiters.push(r));
        try {
          this.io.end();
        } catch {
          // already gone
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
        clearTimeout(timer);
        if (!this.dead) this.io.destroy();
      }
    }
  }

  private deadMessage(): string {
    const detail = this.stderr ? `: ${this.stderr}` : "";
    return `${this.label}: session is closed (${this.deadReason ?? "closed"})${detail}`;
  }
}
