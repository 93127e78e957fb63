/**
 * What the real-Incus instance tests share: a bounded command runner, whether Incus and the locally
 * built test image are here (and that image's alias), free loopback ports in a range, and a bounded GET.
 */

/** Run a command (no shell), bounded in time; never throws on a non-zero exit. */
export async function sh(argv: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore", timeout: timeoutMs, killSignal: "SIGKILL" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** Why these tests cannot run here (false: they can), and the local test image's alias. */
export async function incusHere(): Promise<{ reason: string | false; image: string }> {
  if (process.env.HOSTKIT_INTEGRATION_TOOL !== "incus") return { reason: "HOSTKIT_INTEGRATION_TOOL is not 'incus': real Incus instance tests skipped", image: "" };
  const info = await sh(["sudo", "-n", "incus", "info"], 30_000).catch((e) => ({ code: 127, stdout: "", stderr: String(e) }));
  if (info.code !== 0) return { reason: `sudo -n incus does not answer (${info.stderr.trim() || info.code}); run test/hosts/incus.sh ensure`, image: "" };
  const image = (await sh(["sudo", "-n", "incus", "image", "alias", "list", "-f", "csv"])).stdout.split("\n").map((l) => l.split(",")[0]!).find((a) => a.startsWith("hostkit-bookworm-")) ?? "";
  return image ? { reason: false, image } : { reason: "no local image hostkit-bookworm-* (run test/hosts/incus.sh ensure)", image };
}

/** `n` loopback ports in [lo, hi] nothing listens on now (the scan starts at a pid-dependent offset). */
export function freePorts(n: number, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let p = lo + (process.pid % Math.max(1, Math.floor((hi - lo + 1) / 2))); p <= hi && out.length < n; p++) {
    try {
      const s = Bun.listen({ hostname: "127.0.0.1", port: p, socket: { data() {} } });
      s.stop(true);
      out.push(p);
    } catch {
      /* taken */
    }
  }
  if (out.length < n) throw new Error(`fewer than ${n} free ports in 127.0.0.1:${lo}–${hi}`);
  return out;
}

/** GET /index.html on a loopback port: the daemon starts a moment after systemd says so (20 bounded tries). */
export async function get(port: number): Promise<string> {
  for (let i = 0; i < 20; i++) {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/index.html`, { signal: AbortSignal.timeout(2000) })).text();
    } catch {
      await Bun.sleep(250);
    }
  }
  return "no answer";
}
