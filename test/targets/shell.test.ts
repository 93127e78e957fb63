import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { text, type Runner, type StdinStream } from "../../src/targets/runner.ts";
import { FramedSession } from "../../src/targets/ssh-session.ts";
import {
  BATCH_PARALLEL,
  batchScript,
  commandLine,
  encodeRequest,
  parseBatch,
  ProtocolError,
  quote,
  SESSION_DRIVER,
  SessionDecoder,
  sessionLine,
} from "../../src/targets/shell.ts";
import { HOSTILE, runnerContract } from "./contract.ts";
import { removeTempDirs, tempDir } from "./sshd.ts";

afterAll(() => removeTempDirs());

const enc = (s: string) => new TextEncoder().encode(s);
const shells = ["/bin/sh", "/bin/dash", "/bin/bash", "/bin/busybox"].filter((s) => existsSync(s));

describe("quote / commandLine (data)", () => {
  test.each([
    ["abc", "abc"],
    ["/usr/bin/env", "/usr/bin/env"],
    ["-rf", "-rf"],
    ["--opt=value", "'--opt=value'"],
    ["", "''"],
    ["a b", "'a b'"],
    ["it's", "'it'\\''s'"],
    ["'", "''\\'''"],
    ["$(id)", "'$(id)'"],
    ["`id`", "'`id`'"],
    ["a\nb", "'a\nb'"],
    ["a=b", "'a=b'"],
    ["if", "'if'"],
    ["!", "'!'"],
    ["~", "'~'"],
    ["*", "'*'"],
    ["héllo", "'héllo'"],
    ["\\", "'\\'"],
  ])("quote(%j) = %j", (input, expected) => {
    expect(quote(input)).toBe(expected);
  });

  test("NUL and empty argv are refused", () => {
    expect(() => quote("a\0b")).toThrow(/NUL/);
    expect(() => commandLine([])).toThrow(/argv is empty/);
  });

  test("commandLine joins quoted words", () => {
    expect(commandLine(["printf", "%s\n", "a b", "it's"])).toBe("printf '%s\n' 'a b' 'it'\\''s'");
  });

  test("sessionLine never contains a newline and spells it $hk_nl", () => {
    const line = sessionLine(["printf", "%s", "a\nb", "\n'\n"]);
    expect(line).not.toContain("\n");
    expect(line).toBe(`printf %s 'a'"$hk_nl"'b' ''"$hk_nl"''\\'''"$hk_nl"''`);
  });

  test.each(shells)("round trip through a real shell: %s", (sh) => {
    const words = [...HOSTILE, randomBytes(64).toString("latin1").replaceAll("\0", "")];
    const argv = ["printf", "%s\\0", ...words];
    const viaCommandLine = Bun.spawnSync(sh === "/bin/busybox" ? [sh, "sh", "-c", commandLine(argv)] : [sh, "-c", commandLine(argv)]);
    expect(viaCommandLine.stdout.toString("latin1").split("\0")).toEqual([...words.map((w) => Buffer.from(w).toString("latin1")), ""]);
    const session = `hk_nl="\n"; eval "exec $1"`;
    const viaSession = Bun.spawnSync(
      sh === "/bin/busybox" ? [sh, "sh", "-c", session, "_", sessionLine(argv)] : [sh, "-c", session, "_", sessionLine(argv)],
    );
    expect(viaSession.stdout.toString("latin1")).toBe(viaCommandLine.stdout.toString("latin1"));
  });
});

describe("batchScript / parseBatch", () => {
  const data = Buffer.concat([Buffer.from("hello\n"), Buffer.from([0, 255, 10]), Buffer.from("bad\n")]).toString("base64");
  const fixture = [
    "noise before the header is ignored",
    "#HK-BATCH 2",
    "#HK-CODES 0 3",
    "#HK-SIZES",
    "6 /tmp/tmp.x/o0",
    "0 /tmp/tmp.x/e0",
    "3 /tmp/tmp.x/o1",
    "4 /tmp/tmp.x/e1",
    "13 total",
    "#HK-DATA",
    data.slice(0, 8),
    data.slice(8),
    "#HK-DONE",
    "",
  ].join("\n");

  test("parses a fixture", () => {
    expect(parseBatch(enc(fixture))).toEqual([
      { code: 0, stdout: enc("hello\n"), stderr: new Uint8Array(0) },
      { code: 3, stdout: new Uint8Array([0, 255, 10]), stderr: enc("bad\n") },
    ]);
  });

  test("truncated or malformed output is an error, not a short list", () => {
    expect(() => parseBatch(enc(fixture.replace("#HK-DONE", "")))).toThrow(/expected #HK-DATA ... #HK-DONE/);
    expect(() => parseBatch(enc(fixture.replace(data.slice(8), "")))).toThrow(/data is 6 bytes/);
    expect(() => parseBatch(enc(fixture.replace("#HK-CODES 0 3", "#HK-CODES 0")))).toThrow(/one code per command/);
    expect(() => parseBatch(enc(fixture.split("3 /tmp")[0]!))).toThrow(/one size per output file/);
    expect(() => parseBatch(enc("sh: 1: mktemp: not found\n"))).toThrow(/no #HK-BATCH header/);
  });

  test("an empty batch is an empty list", () => {
    expect(parseBatch(Bun.spawnSync(["sh", "-s"], { stdin: enc(batchScript([])) }).stdout)).toEqual([]);
  });

  test("round trip through a real `sh -s`, binary output included", async () => {
    const dir = tempDir("hk-batch-");
    const blob = new Uint8Array(randomBytes(100_000));
    writeFileSync(join(dir, "blob"), blob);
    const cmds = [
      ["printf", "\\0\\377\\n"],
      ["head", "-c", "1000", "/dev/urandom"],
      ["cat", join(dir, "blob")],
      ["sh", "-c", "printf 'x\\n' >&2; exit 4"],
      ["printf", "%s", "line\n#HK-DONE\n"],
      ["hostkit-no-such-program-xyz"],
    ];
    const p = Bun.spawnSync(["sh", "-s"], { stdin: enc(batchScript(cmds)) });
    expect(p.exitCode).toBe(0);
    const out = parseBatch(p.stdout);
    expect([...out[0]!.stdout]).toEqual([0, 255, 10]);
    expect(out[1]!.stdout.length).toBe(1000);
    expect(Buffer.from(out[2]!.stdout).equals(Buffer.from(blob))).toBe(true);
    expect(out[3]).toEqual({ code: 4, stdout: new Uint8Array(0), stderr: enc("x\n") });
    expect(text(out[4]!.stdout)).toBe("line\n#HK-DONE\n");
    expect(out[5]!.code).toBe(127);
  });
});

test("batch commands run at the same time (in waves), exit codes stay in command order", () => {
  const sleepers = [["sleep", "0.4"], ["sleep", "0.4"], ["sleep", "0.4"], ["sh", "-c", "exit 3"]];
  const t0 = performance.now();
  const out = parseBatch(Bun.spawnSync(["sh", "-s"], { stdin: enc(batchScript(sleepers)) }).stdout);
  expect(performance.now() - t0).toBeLessThan(1100); // one after another would be ≥ 1.2 s
  expect(out.map((o) => o.code)).toEqual([0, 0, 0, 3]);
  const n = BATCH_PARALLEL * 2 + 5; // three waves
  const many = Array.from({ length: n }, (_, i) => ["sh", "-c", `printf ${i}; exit ${i % 7}`]);
  const res = parseBatch(Bun.spawnSync(["sh", "-s"], { stdin: enc(batchScript(many)) }).stdout);
  expect(res.map((o) => [text(o.stdout), o.code])).toEqual(Array.from({ length: n }, (_, i) => [String(i), i % 7]));
});

describe("session framing (data)", () => {
  test("encodeRequest: header line with stdin length, one-line command, raw stdin", () => {
    const frame = encodeRequest(["cat", "a b"], new Uint8Array([0, 10, 255]));
    const head = enc("HKC 3 exec cat 'a b'\n");
    expect([...frame]).toEqual([...head, 0, 10, 255]);
    expect(text(encodeRequest(["sleep", "9"], undefined, 1500))).toBe("HKC 0 exec timeout -k 5 1.5 sleep 9\n");
    expect(() => encodeRequest(["a\0"])).toThrow(/NUL/);
  });

  test("decoder: skips noise before the banner, survives 1-byte chunks, splits frames", () => {
    const d = new SessionDecoder();
    const wire = enc("motd noise\nHKREADY 1\nHKR 0 3 2\nout\0!HKR 7 0 0\n");
    for (const b of wire) d.push(new Uint8Array([b]));
    expect(d.ready).toBe(true);
    expect(d.take()).toEqual({ code: 0, stdout: enc("out"), stderr: new Uint8Array([0, 33]) });
    expect(d.take()).toEqual({ code: 7, stdout: new Uint8Array(0), stderr: new Uint8Array(0) });
    expect(d.take()).toBeUndefined();
  });

  test("decoder: a garbage header is a ProtocolError", () => {
    const d = new SessionDecoder();
    d.push(enc("HKREADY 1\n"));
    expect(() => d.push(enc("surprise\n"))).toThrow(ProtocolError);
  });

  test("the driver text has no single quote and no backslash", () => {
    expect(SESSION_DRIVER).not.toMatch(/['\\]/);
  });
});

/** The session driver over a local `sh -c` process: the SSH protocol without SSH. */
function localSession(tmp: string): { runner: Runner; proc: Bun.Subprocess<"pipe", "pipe", "pipe"> } {
  const proc = Bun.spawn(["sh", "-c", SESSION_DRIVER], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, TMPDIR: tmp },
  });
  const session = new FramedSession(
    {
      // A flush still pending when the session is dropped fails with EPIPE: expected, not an error here.
      write: (b) => void (proc.stdin.write(b), Promise.resolve(proc.stdin.flush()).catch(() => {})),
      end: () => void proc.stdin.end(),
      destroy: () => proc.kill(),
    },
    "local-driver",
  );
  void (async () => {
    for await (const chunk of proc.stdout) session.stdout(chunk);
    session.ended("driver exited");
  })();
  void (async () => {
    for await (const chunk of proc.stderr) session.stderrData(chunk);
  })();
  return {
    proc,
    runner: { transport: "local", description: "local driver", exec: (a, o) => session.exec(a, o), close: () => session.close() },
  };
}

runnerContract("session driver over local sh", async () => localSession(tempDir("hk-drv-")).runner);

describe("session driver safety", () => {
  test("a streamed stdin whose producer fails: the call rejects, the session is dropped, the command never runs", async () => {
    const tmp = tempDir("hk-drv-");
    const marker = join(tmp, "ran");
    const { runner } = localSession(tmp);
    const chunk = new Uint8Array(1 << 20);
    const failing: StdinStream = { size: 4 << 20, async *chunks() { yield chunk; yield chunk; throw new Error("source changed"); } };
    const err = await runner.exec(["sh", "-c", 'touch "$1"; cat >/dev/null', "sh", marker], { stdin: failing }).then(() => undefined, (e: Error) => e.message);
    expect(err).toContain("source changed");
    expect(err).toContain("it did not run");
    await Bun.sleep(200);
    expect(existsSync(marker)).toBe(false);
    await expect(runner.exec(["true"])).rejects.toThrow(/session is closed/);
  });


  test("removes its temp dir on EOF", async () => {
    const tmp = tempDir("hk-drv-");
    const { runner, proc } = localSession(tmp);
    expect(text((await runner.exec(["echo", "hi"])).stdout)).toBe("hi\n");
    expect(readdirSync(tmp).length).toBe(1);
    await runner.close();
    await proc.exited;
    expect(readdirSync(tmp)).toEqual([]);
  });

  test("a frame cut short never runs as a shorter command", async () => {
    const tmp = tempDir("hk-drv-");
    const victim = join(tmp, "victim-directory-name");
    const cut = async (bytes: Uint8Array) => {
      const proc = Bun.spawn(["sh", "-c", SESSION_DRIVER], { stdin: "pipe", stdout: "pipe", env: { ...process.env, TMPDIR: tmp } });
      proc.stdin.write(bytes);
      proc.stdin.end();
      await proc.exited;
      return text(await Bun.readableStreamToBytes(proc.stdout));
    };
    const line = encodeRequest(["touch", victim]);
    // The command line loses its tail (and newline): `touch <prefix>` must not run.
    expect(await cut(line.subarray(0, line.length - 10))).toBe("HKREADY 1\n");
    // Stdin shorter than announced: the command must not run with a partial stdin.
    const withStdin = encodeRequest(["touch", victim], "0123456789");
    expect(await cut(withStdin.subarray(0, withStdin.length - 4))).toBe("HKREADY 1\n");
    expect(readdirSync(tmp)).toEqual([]);
  });
});
