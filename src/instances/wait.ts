/**
 * Bounded wait until a guest's SSH server answers on an exposed host port.
 *
 * A TCP connect alone proves nothing here: an Incus proxy device (and most port forwarders) accepts
 * on the host side immediately and only then connects to the guest, closing the connection when
 * nothing listens inside. So each attempt connects AND reads the server's identification line
 * (`SSH-2.0-…`, RFC 4253 §4.2; lines before it are allowed and skipped). The wait is bounded by both
 * time and attempts; the error says what the last attempt saw.
 */
import { Socket } from "node:net";

export interface WaitSshOptions {
  host: string;
  port: number;
  /** Give up after this long in total (default 60 s). */
  timeoutMs?: number;
  /** And after this many attempts (default: unbounded, the time bound applies). */
  maxAttempts?: number;
  /** Pause between attempts (default 250 ms). */
  intervalMs?: number;
  /** One attempt's connect + banner read (default 3 s). */
  attemptTimeoutMs?: number;
  /** Called after each failed attempt. */
  onProgress?: (p: WaitProgress) => void;
}

export interface WaitProgress {
  attempt: number;
  elapsedMs: number;
  /** What this attempt saw, e.g. "connection refused", "closed before an SSH banner". */
  last: string;
}

export interface WaitSshResult {
  /** The server's identification line, e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3`. */
  banner: string;
  attempts: number;
  elapsedMs: number;
}

export class SshWaitError extends Error {
  override readonly name = "SshWaitError";
  constructor(
    message: string,
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly last: string,
  ) {
    super(message);
  }
}

export type ProbeResult = { ok: true; banner: string } | { ok: false; reason: string };

const MAX_PRE_BANNER = 8192;

/** One attempt: connect, read lines until one starts with `SSH-`, close. Never throws. */
export function probeSshBanner(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let buf = "";
    let total = 0;
    let done = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: buf ? "no SSH banner in time" : "no answer in time" }), timeoutMs);
    sock.setEncoding("latin1");
    sock.on("data", (chunk: string) => {
      buf += chunk;
      total += chunk.length;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        if (line.startsWith("SSH-")) return finish({ ok: true, banner: line });
      }
      if (total > MAX_PRE_BANNER) finish({ ok: false, reason: "answered, but not with an SSH banner" });
    });
    sock.on("error", (e: NodeJS.ErrnoException) => finish({ ok: false, reason: e.code === "ECONNREFUSED" ? "connection refused" : e.code === "ECONNRESET" ? "connection reset" : e.message }));
    sock.on("close", () => finish({ ok: false, reason: "closed before an SSH banner" }));
    sock.connect(port, host);
  });
}

function fmt(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

export async function waitForSsh(o: WaitSshOptions): Promise<WaitSshResult> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const intervalMs = o.intervalMs ?? 250;
  const attemptTimeoutMs = o.attemptTimeoutMs ?? 3000;
  const maxAttempts = o.maxAttempts ?? Number.POSITIVE_INFINITY;
  const start = performance.now();
  const hostPort = `${o.host.includes(":") ? `[${o.host}]` : o.host}:${o.port}`;
  let attempts = 0;
  let last = "not tried";
  for (;;) {
    const elapsed = performance.now() - start;
    // the last attempt must not outlive the bound
    const budget = Math.min(attemptTimeoutMs, Math.max(1, timeoutMs - elapsed));
    attempts++;
    const r = await probeSshBanner(o.host, o.port, budget);
    const elapsedMs = performance.now() - start;
    if (r.ok) return { banner: r.banner, attempts, elapsedMs };
    last = r.reason;
    o.onProgress?.({ attempt: attempts, elapsedMs, last });
    if (attempts >= maxAttempts || elapsedMs + intervalMs >= timeoutMs) {
      throw new SshWaitError(
        `SSH on ${hostPort} did not answer within ${fmt(elapsedMs)} (${attempts} attempt${attempts === 1 ? "" : "s"}; last: ${last})`,
        attempts,
        elapsedMs,
        last,
      );
    }
    await Bun.sleep(intervalMs);
  }
}
