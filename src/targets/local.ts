/**
 * Local runner: each command is one `Bun.spawn` of the argv (no shell). With `sudo`, argv is prefixed
 * with `sudo -n`. A missing program is a result (code 127, like a shell), not an exception.
 */
import { constants } from "node:os";
import { isStream, TransportError, type ExecOptions, type ExecResult, type Runner, type StdinStream } from "./runner.ts";

const encoder = new TextEncoder();
/** After a timeout, SIGTERM first, SIGKILL this much later. */
const KILL_GRACE_MS = 2000;

/**
 * Write a stream into a child's stdin, one chunk at a time (flushed before the next is read, so at
 * most one chunk is held), then close it. The child exiting early (it refused) is not an error here:
 * its exit status tells. A producer error is returned, after closing stdin short.
 */
async function feed(sink: Bun.FileSink, stream: StdinStream): Promise<Error | undefined> {
  let failed: Error | undefined;
  let open = true;
  try {
    for await (const chunk of stream.chunks()) {
      if (!open) continue;
      try {
        sink.write(chunk);
        await sink.flush();
      } catch {
        open = false; // EPIPE: the command stopped reading; drain the producer for its own checks
      }
    }
  } catch (e) {
    failed = e instanceof Error ? e : new Error(String(e));
  }
  try {
    await sink.end();
  } catch {
    /* already closed */
  }
  return failed;
}

export function localRunner(opts: { sudo?: boolean } = {}): Runner {
  let closed = false;
  const prefix = opts.sudo ? ["sudo", "-n"] : [];
  const description = `local${opts.sudo ? " (sudo)" : ""}`;

  async function exec(argv: readonly string[], o: ExecOptions = {}): Promise<ExecResult> {
    if (closed) throw new TransportError(`${description}: runner is closed`, false);
    if (argv.length === 0) throw new TypeError("exec needs a non-empty argv");
    if (argv.some((a) => a.includes("\0"))) throw new TypeError("an argument cannot contain a NUL byte");
    const stream = isStream(o.stdin) ? o.stdin : undefined;
    const input = typeof o.stdin === "string" ? encoder.encode(o.stdin) : isStream(o.stdin) ? undefined : o.stdin;
    const cmd = [...prefix, ...argv];
    let proc: Bun.Subprocess<Uint8Array | "ignore" | "pipe", "pipe", "pipe">;
    try {
      proc = Bun.spawn(cmd, { stdin: stream ? "pipe" : input && input.length > 0 ? input : "ignore", stdout: "pipe", stderr: "pipe" });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EACCES") {
        const msg = code === "ENOENT" ? "command not found" : "permission denied";
        return { code: code === "ENOENT" ? 127 : 126, stdout: new Uint8Array(0), stderr: encoder.encode(`${cmd[0]}: ${msg}\n`) };
      }
      throw new TransportError(`${description}: cannot start \`${cmd[0]}\`: ${(e as Error).message}`, false);
    }
    let timedOut = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    if (o.timeoutMs !== undefined) {
      timers.push(
        setTimeout(() => {
          timedOut = true;
          proc.kill("SIGTERM");
          timers.push(setTimeout(() => proc.kill("SIGKILL"), KILL_GRACE_MS));
        }, o.timeoutMs),
      );
    }
    try {
      const [stdout, stderr, , fed] = await Promise.all([
        Bun.readableStreamToBytes(proc.stdout),
        Bun.readableStreamToBytes(proc.stderr),
        proc.exited,
        stream ? feed(proc.stdin as Bun.FileSink, stream) : undefined,
      ]);
      // The producer failed (a source changed under it): the command got a stdin cut short; say why.
      if (fed) throw fed;
      if (timedOut) return { code: 124, stdout, stderr };
      const signal = proc.signalCode;
      const code = signal ? 128 + (constants.signals[signal as keyof typeof constants.signals] ?? 0) : (proc.exitCode ?? 1);
      return { code, stdout, stderr };
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  }

  return {
    transport: "local",
    description,
    exec,
    close: async () => {
      closed = true;
    },
  };
}
