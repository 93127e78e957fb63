// The Incus backend's own sequencing, as data: which argv it runs, in which order, for one call.
// (The real effects are proven in incus-real.test.ts; here a recording Runner answers with Incus'
// real error texts so the fallback and ordering paths are exercised deterministically.)
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { incusBackend } from "../../src/instances/incus.ts";
import type { ExecOptions, ExecResult, Runner } from "../../src/targets/runner.ts";

const enc = new TextEncoder();
function recorder(answer: (argv: readonly string[]) => Partial<{ code: number; stdout: string; stderr: string }> = () => ({})) {
  const calls: { argv: string[]; opts?: ExecOptions }[] = [];
  const runner: Runner = {
    transport: "local",
    description: "recorder",
    async exec(argv, opts): Promise<ExecResult> {
      calls.push({ argv: [...argv], ...(opts ? { opts } : {}) });
      const a = answer(argv);
      return { code: a.code ?? 0, stdout: enc.encode(a.stdout ?? ""), stderr: enc.encode(a.stderr ?? "") };
    },
    close: async () => {},
  };
  return { runner, calls, argvs: () => calls.map((c) => c.argv.join(" ")) };
}

describe("incusBackend sequencing", () => {
  test("read: one call; the recorded answer parses", async () => {
    const r = recorder(() => ({ stdout: readFileSync(new URL("../fixtures/incus/instance-running.json", import.meta.url), "utf8") }));
    const s = await incusBackend({ sudo: true, project: "default" }, r.runner).read("hk-inst-test-fixture");
    expect(r.argvs()).toEqual(["sudo -n incus query --raw /1.0/instances/hk-inst-test-fixture?project=default&recursion=1"]);
    expect(s?.forwards.ssh?.host).toBe(2398);
  });

  test("applyDevices: removals first (a port can move between names), then adds and in-place updates", async () => {
    const r = recorder();
    await incusBackend({}, r.runner).applyDevices(
      "x",
      { a: { listen: "127.0.0.1", host: 2301, guest: 22 }, b: { listen: "127.0.0.1", host: 2302, guest: 80 } },
      { b: { listen: "127.0.0.1", host: 2399, guest: 80, guestAddr: "127.0.0.1", raw: "" }, c: { listen: "127.0.0.1", host: 2301, guest: 9, guestAddr: "127.0.0.1", raw: "" } },
    );
    expect(r.argvs()).toEqual([
      "incus --project default config device remove x hk-c",
      "incus --project default config device add x hk-a proxy listen=tcp:127.0.0.1:2301 connect=tcp:127.0.0.1:22",
      "incus --project default config device set x hk-b listen=tcp:127.0.0.1:2302 connect=tcp:127.0.0.1:80",
    ]);
  });

  test("applyConfig: values and HostKit's key record in one set, then one unset per dropped key", async () => {
    const r = recorder();
    await incusBackend({}, r.runner).applyConfig("x", { set: { "limits.cpu": "2" }, unset: ["limits.memory", "boot.autostart"], managedKeys: ["limits.cpu"] });
    expect(r.argvs()).toEqual([
      "incus --project default config set x limits.cpu=2 user.hostkit.keys=limits.cpu",
      "incus --project default config unset x limits.memory",
      "incus --project default config unset x boot.autostart",
    ]);
  });

  test("stop: a clean stop that runs out of time is forced (Incus' real message)", async () => {
    const r = recorder((argv) =>
      argv.includes("--timeout") ? { code: 1, stderr: 'Error: Failed shutting down instance, status is "Running": context deadline exceeded\nTry `incus info --show-log x` for more info\n' } : {},
    );
    await incusBackend({ stopTimeoutSeconds: 5 }, r.runner).stop("x");
    expect(r.argvs()).toEqual(["incus --project default stop x --timeout 5", "incus --project default stop x --force"]);
  });

  test("stop: any other failure is not papered over", async () => {
    const r = recorder(() => ({ code: 1, stderr: "Error: The instance is already stopped\n" }));
    const err = await incusBackend({}, r.runner).stop("x").catch((e) => e);
    expect(err.message).toBe("`incus --project default stop x --timeout 30` failed (exit 1): The instance is already stopped");
    expect(r.calls).toHaveLength(1);
  });

  test("pushFile: bytes on stdin, never in argv; a relative path is refused before anything runs", async () => {
    const r = recorder();
    const b = incusBackend({}, r.runner);
    await b.pushFile("x", "/root/.ssh/authorized_keys", enc.encode("ssh-ed25519 AAAA k\n"), { mode: 0o600, uid: 0, gid: 0 });
    expect(new TextDecoder().decode(r.calls[0]!.opts!.stdin as Uint8Array)).toBe("ssh-ed25519 AAAA k\n");
    expect(r.calls[0]!.argv.join(" ")).not.toContain("AAAA");
    await expect(b.pushFile("x", "root/x", new Uint8Array(), { mode: 0o600, uid: 0, gid: 0 })).rejects.toThrow(/absolute path/);
    expect(r.calls).toHaveLength(1);
  });

  test("sudo that wants a password says so; a missing incus says so", async () => {
    const pw = recorder(() => ({ code: 1, stderr: "sudo: a password is required\n" }));
    await expect(incusBackend({ sudo: true }, pw.runner).start("x")).rejects.toThrow("`incus --project default start x` failed (exit 1): sudo: a password is required (sudo -n needs passwordless sudo for incus)");
    const missing = recorder(() => ({ code: 127, stderr: "incus: command not found\n" }));
    await expect(incusBackend({}, missing.runner).start("x")).rejects.toThrow("`incus --project default start x` failed (exit 127): incus: command not found (is Incus installed and on PATH?)");
  });
});

describe("incusBackend on this machine's runner", () => {
  test("a missing incus program is one clear error (real spawn, no incus needed)", async () => {
    const err = await incusBackend({ bin: "/nonexistent/hk-inst-test/incus" }).read("x").catch((e) => e);
    expect(err.name).toBe("BackendError");
    expect(err.message).toBe(
      "`/nonexistent/hk-inst-test/incus query --raw \"/1.0/instances/x?project=default&recursion=1\"` failed (exit 127): /nonexistent/hk-inst-test/incus: command not found (is Incus installed and on PATH?)",
    );
  });
});
