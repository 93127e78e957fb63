/**
 * THE Runner contract: every adapter (local, ssh, ssh+sudo, the test container) must pass it unchanged.
 * `runnerContract(name, makeRunner)` registers one describe block; makeRunner is called once for the
 * block (and once more for the close test).
 */
import type { StdinStream } from "../../src/targets/runner.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { TransportError, text, type Runner } from "../../src/targets/runner.ts";
import { batchScript, parseBatch } from "../../src/targets/shell.ts";

/** Arguments that break naive quoting. Each must arrive at the program byte for byte. */
export const HOSTILE: readonly string[] = [
  "",
  " ",
  "two  spaces",
  "'",
  "''",
  '"',
  "it's \"quoted\"",
  "$(touch /tmp/hostkit-pwned)",
  "`touch /tmp/hostkit-pwned`",
  "${HOME}",
  "$HOME",
  "$hk_nl",
  "\n",
  "line1\nline2\n",
  "\n'\n",
  "\t",
  "\r\n",
  "-n",
  "-e",
  "--",
  "--help",
  "-rf",
  "*",
  "?",
  "[a-z]",
  "~",
  "~root",
  "a=b",
  "!",
  "!!",
  "#comment",
  "; echo injected",
  "&& echo injected",
  "| cat",
  "> /tmp/hostkit-pwned",
  "\\",
  "\\'",
  "\\n",
  "%s%d%n",
  "{a,b}",
  "if",
  "then",
  "{",
  "héllo wörld",
  "日本語",
  "😀",
  "\u00a0",
  "HKR 0 0 0",
  "HKREADY 1",
];

/** All 256 byte values, then 64 KiB of random bytes. */
export function binaryBytes(): Uint8Array {
  const all = new Uint8Array(256 + 65536);
  for (let i = 0; i < 256; i++) all[i] = i;
  all.set(randomBytes(65536), 256);
  return all;
}

const bytes = (s: string) => new TextEncoder().encode(s);
/** Generous: the same suite runs against slow remote hosts, and `bun test` defaults to 5 s. */
const T = 60_000;

export function runnerContract(name: string, makeRunner: () => Promise<Runner>): void {
  describe(`Runner contract: ${name}`, () => {
    let r: Runner;
    beforeAll(async () => {
      r = await makeRunner();
    }, T);
    afterAll(async () => {
      await r?.close();
    }, T);

    test("argv: hostile strings arrive literally, nothing is expanded", async () => {
      const res = await r.exec(["printf", "%s\\0", ...HOSTILE]);
      expect(res.code).toBe(0);
      expect(text(res.stdout).split("\0")).toEqual([...HOSTILE, ""]);
      const pwned = await r.exec(["test", "-e", "/tmp/hostkit-pwned"]);
      expect(pwned.code).toBe(1);
    }, T);

    test("argv: a shell-builtin name runs the program, not the builtin", async () => {
      // dash's builtin echo would turn "\\n" into a newline; /bin/echo does not.
      const res = await r.exec(["echo", "a\\nb"]);
      expect(text(res.stdout)).toBe("a\\nb\n");
    }, T);

    test("stdin: all byte values incl. NUL round-trip", async () => {
      const input = binaryBytes();
      const res = await r.exec(["cat"], { stdin: input });
      expect(res.code).toBe(0);
      expect(Buffer.from(res.stdout).equals(Buffer.from(input))).toBe(true);
    }, T);

    test("stdin: text is sent as UTF-8; no stdin means immediate EOF", async () => {
      expect(text((await r.exec(["cat"], { stdin: "héllo\n" })).stdout)).toBe("héllo\n");
      const res = await r.exec(["cat"], { timeoutMs: 10_000 });
      expect(res.code).toBe(0);
      expect(res.stdout.length).toBe(0);
    }, T);

    test("exit codes: non-zero is a result; signals are 128+N; missing program is 127", async () => {
      expect((await r.exec(["sh", "-c", "exit 3"])).code).toBe(3);
      expect((await r.exec(["false"])).code).toBe(1);
      expect((await r.exec(["sh", "-c", "kill -TERM $$"])).code).toBe(143);
      expect((await r.exec(["hostkit-no-such-program-xyz"])).code).toBe(127);
    }, T);

    test("stderr is separate from stdout", async () => {
      const res = await r.exec(["sh", "-c", "printf out; printf err >&2; printf more"]);
      expect(text(res.stdout)).toBe("outmore");
      expect(text(res.stderr)).toBe("err");
    }, T);

    test("large output: 5 MB stdout, and 5 MB stdin echoed back", async () => {
      const big = await r.exec(["head", "-c", "5242880", "/dev/zero"]);
      expect(big.stdout.length).toBe(5 * 1024 * 1024);
      expect(big.stdout.every((b) => b === 0)).toBe(true);
      const input = new Uint8Array(randomBytes(5 * 1024 * 1024));
      const echoed = await r.exec(["cat"], { stdin: input });
      expect(Buffer.from(echoed.stdout).equals(Buffer.from(input))).toBe(true);
    }, T);

    test("streamed stdin: 20 MB in chunks arrives whole", async () => {
      const chunk = new Uint8Array(randomBytes(1 << 20));
      const stream: StdinStream = { size: 20 << 20, async *chunks() { for (let i = 0; i < 20; i++) yield chunk; } };
      const res = await r.exec(["sh", "-c", "wc -c"], { stdin: stream });
      expect(res.code).toBe(0);
      expect(text(res.stdout).trim()).toBe(String(20 << 20));
    }, T);

    test("sequential commands, and concurrent calls each get their own result", async () => {
      for (let i = 0; i < 30; i++) expect(text((await r.exec(["echo", String(i)])).stdout)).toBe(`${i}\n`);
      const inputs = Array.from({ length: 20 }, (_, i) => `input-${i}-${"x".repeat(i * 100)}`);
      const results = await Promise.all(inputs.map((s) => r.exec(["cat"], { stdin: s })));
      expect(results.map((x) => text(x.stdout))).toEqual(inputs);
    }, T);

    test("a failing, missing or timed-out command does not poison the runner", async () => {
      await r.exec(["sh", "-c", "echo partial; exit 7"]);
      await r.exec(["hostkit-no-such-program-xyz"]);
      const started = performance.now();
      const slow = await r.exec(["sleep", "30"], { timeoutMs: 300 });
      expect(slow.code).toBe(124);
      expect(performance.now() - started).toBeLessThan(10_000);
      const ok = await r.exec(["echo", "still fine"]);
      expect(ok.code).toBe(0);
      expect(text(ok.stdout)).toBe("still fine\n");
    }, T);

    test("an argument with a NUL byte is refused (it cannot be passed as argv)", async () => {
      await expect(r.exec(["printf", "a\0b"])).rejects.toThrow(/NUL/);
      expect((await r.exec(["true"])).code).toBe(0);
    }, T);

    test("batchScript through exec(['sh','-s']): one round trip, any bytes survive", async () => {
      const all256 = Array.from({ length: 256 }, (_, i) => `\\${i.toString(8).padStart(3, "0")}`).join("");
      const cmds = [
        ["printf", "\\0\\377\\n"],
        ["head", "-c", "1000", "/dev/urandom"],
        ["printf", all256],
        ["sh", "-c", "echo to-err >&2; exit 5"],
        ["hostkit-no-such-program-xyz"],
        ["printf", "%s\\0", ...HOSTILE],
        ["cat"],
        ["printf", "#HK-DATA\n#HK-DONE\n#HK-SIZES\n"],
      ];
      const res = await r.exec(["sh", "-s"], { stdin: batchScript(cmds) });
      expect(res.code).toBe(0);
      const out = parseBatch(res.stdout);
      expect(out.length).toBe(cmds.length);
      expect([...out[0]!.stdout]).toEqual([0, 0o377, 10]);
      expect(out[1]!.stdout.length).toBe(1000);
      expect([...out[2]!.stdout]).toEqual(Array.from({ length: 256 }, (_, i) => i));
      expect(out[3]).toMatchObject({ code: 5, stdout: bytes(""), stderr: bytes("to-err\n") });
      expect(out[4]!.code).toBe(127);
      expect(text(out[5]!.stdout).split("\0")).toEqual([...HOSTILE, ""]);
      expect(out[6]).toMatchObject({ code: 0, stdout: bytes("") });
      expect(text(out[7]!.stdout)).toBe("#HK-DATA\n#HK-DONE\n#HK-SIZES\n");
      const many = Array.from({ length: 200 }, (_, i) => ["echo", `probe ${i}`]);
      const probed = parseBatch((await r.exec(["sh", "-s"], { stdin: batchScript(many) })).stdout);
      expect(probed.map((p) => text(p.stdout))).toEqual(many.map((m) => `${m[1]}\n`));
    }, T);

    test("close is idempotent; exec after close is a TransportError that was not sent", async () => {
      const own = await makeRunner();
      expect((await own.exec(["true"])).code).toBe(0);
      await own.close();
      await own.close();
      const err = await own.exec(["true"]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).sent).toBe(false);
    }, T);
  });
}
