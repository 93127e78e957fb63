// waitForSsh against real TCP listeners on loopback: what a proxy device without a guest sshd looks
// like (accepts, then closes), a silent server, a banner after other lines, and a late server.
import { afterEach, describe, expect, test } from "bun:test";
import { probeSshBanner, SshWaitError, waitForSsh, type WaitProgress } from "../../src/instances/wait.ts";

type Behaviour = "close" | "silent" | "banner" | "http";
const servers: { stop(force?: boolean): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

function listen(behaviour: Behaviour, port = 0): number {
  const s = Bun.listen({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(sock) {
        if (behaviour === "close") sock.end();
        else if (behaviour === "banner") sock.write("a pre-banner line\r\nSSH-2.0-HostKitTest_1.0\r\n");
        else if (behaviour === "http") sock.write("HTTP/1.1 400 Bad Request\r\n\r\n".repeat(400));
      },
      data() {},
    },
  });
  servers.push(s);
  return s.port;
}

/** A port nobody listens on (bound once, then released). */
function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

describe("probeSshBanner", () => {
  test("reads the identification line, skipping lines before it", async () => {
    expect(await probeSshBanner("127.0.0.1", listen("banner"), 2000)).toEqual({ ok: true, banner: "SSH-2.0-HostKitTest_1.0" });
  });
  test("refused, closed without a banner, silent, not SSH", async () => {
    expect(await probeSshBanner("127.0.0.1", freePort(), 2000)).toEqual({ ok: false, reason: "connection refused" });
    expect(await probeSshBanner("127.0.0.1", listen("close"), 2000)).toEqual({ ok: false, reason: "closed before an SSH banner" });
    expect(await probeSshBanner("127.0.0.1", listen("silent"), 300)).toEqual({ ok: false, reason: "no answer in time" });
    expect(await probeSshBanner("127.0.0.1", listen("http"), 2000)).toEqual({ ok: false, reason: "answered, but not with an SSH banner" });
  });
});

describe("waitForSsh", () => {
  test("bounded by attempts: a clear error naming the address, the attempts and what the last one saw", async () => {
    const port = listen("close");
    const seen: WaitProgress[] = [];
    const err = await waitForSsh({ host: "127.0.0.1", port, maxAttempts: 3, intervalMs: 10, onProgress: (p) => seen.push(p) }).catch((e) => e);
    expect(err).toBeInstanceOf(SshWaitError);
    expect(err.message).toMatch(new RegExp(`^SSH on 127\\.0\\.0\\.1:${port} did not answer within [0-9.]+ s \\(3 attempts; last: closed before an SSH banner\\)$`));
    expect(seen.map((p) => p.attempt)).toEqual([1, 2, 3]);
    expect(err.attempts).toBe(3);
  });

  test("bounded by time", async () => {
    const err = await waitForSsh({ host: "127.0.0.1", port: freePort(), timeoutMs: 400, intervalMs: 50 }).catch((e) => e);
    expect(err).toBeInstanceOf(SshWaitError);
    expect(err.last).toBe("connection refused");
    expect(err.attempts).toBeGreaterThan(1);
  });

  test("a silent server cannot hold the wait past its bound", async () => {
    const err = await waitForSsh({ host: "127.0.0.1", port: listen("silent"), timeoutMs: 300, attemptTimeoutMs: 5000 }).catch((e) => e);
    expect(err).toBeInstanceOf(SshWaitError);
    expect(err.last).toBe("no answer in time");
    expect(err.attempts).toBe(1);
  });

  test("succeeds once the server comes up, reporting progress until then", async () => {
    const port = freePort();
    const seen: string[] = [];
    const r = await waitForSsh({
      host: "127.0.0.1",
      port,
      timeoutMs: 10_000,
      intervalMs: 20,
      onProgress: (p) => {
        seen.push(p.last);
        if (p.attempt === 2) listen("banner", port);
      },
    });
    expect(seen).toEqual(["connection refused", "connection refused"]);
    expect(r.attempts).toBe(3);
    expect(r.banner).toBe("SSH-2.0-HostKitTest_1.0");
  });
});
