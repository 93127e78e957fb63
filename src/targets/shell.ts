/**
 * The ONLY module that writes POSIX shell text. Everything here is pure: argv in, text/bytes out, and back.
 *
 * - `quote` / `commandLine`: argv → one sh command line that runs exactly that argv.
 * - `batchScript` / `parseBatch`: many probe commands → one `sh -s` script → one ExecResult per command.
 * - `SESSION_DRIVER`, `sessionCommand`, `encodeRequest`, `SessionDecoder`: the framed protocol the SSH
 *   runner speaks over ONE persistent remote `sh` (see ssh-session.ts).
 */
import type { ExecResult } from "./runner.ts";

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** Words that are safe unquoted anywhere on a command line (no `=`: a first word `A=b` is an assignment). */
const SAFE = /^[A-Za-z0-9_@%+:,./-]+$/;
/** Reserved words (POSIX + bash): unquoted as a first word they would be syntax, not a command. */
const RESERVED = new Set(
  "! { } [[ ]] case do done elif else esac fi for if in then until while function select time coproc".split(" "),
);

/** Quote one argument so a POSIX shell reads it back byte for byte. Throws on NUL (cannot be in argv). */
export function quote(arg: string): string {
  if (arg.includes("\0")) throw new TypeError("an argument cannot contain a NUL byte");
  if (SAFE.test(arg) && !RESERVED.has(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** One sh command line that runs exactly `argv` (no expansion, no word splitting, no globbing). */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError("a command needs at least one word (argv is empty)");
  return argv.map(quote).join(" ");
}

/** Command text that runs argv as a program (`exec` in a subshell: builtins and functions cannot shadow it). */
function programLine(argv: readonly string[]): string {
  return `(exec ${commandLine(argv)})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Probe batches: N commands, ONE round trip, and per command only its own fork: outputs go to files, then one
// `wc -c` gives every size and one `cat | base64` carries every byte (NULs, newlines, binary all survive).
// Probes only read, so they run at the same time (BATCH_PARALLEL at once, exit codes collected in order):
// the slow ones (`systemctl` waits on PID 1) overlap with the rest instead of adding up.
//
//   #HK-BATCH <n>
//   #HK-CODES <code0> <code1> ...
//   #HK-SIZES
//   <wc -c output: "<bytes> <file>" for stdout0 stderr0 stdout1 stderr1 ... (+ a total line)>
//   #HK-DATA
//   <base64 of stdout0 stderr0 stdout1 stderr1 ... concatenated, wrapped lines>
//   #HK-DONE
// ---------------------------------------------------------------------------------------------------------------

/** Batch commands running at once (a wave); the next wave starts when this one has finished. */
export const BATCH_PARALLEL = 16;

/** One `sh -s` script running every command (stdin from /dev/null, so none can eat the script). */
export function batchScript(cmds: readonly (readonly string[])[]): string {
  const files = cmds.flatMap((_, i) => [`"$d/o${i}"`, `"$d/e${i}"`]).join(" ");
  const lines = ["d=$(mktemp -d) || exit 97", `trap 'rm -rf "$d"' 0`, "c="];
  cmds.forEach((argv, i) => {
    lines.push(`${programLine(argv)} </dev/null >"$d/o${i}" 2>"$d/e${i}" & p${i}=$!`);
    if ((i + 1) % BATCH_PARALLEL === 0 || i === cmds.length - 1) {
      for (let k = i - (i % BATCH_PARALLEL); k <= i; k++) lines.push(`wait "$p${k}"; c="$c $?"`);
    }
  });
  lines.push(
    `printf '#HK-BATCH %d\\n#HK-CODES%s\\n#HK-SIZES\\n' ${cmds.length} "$c"`,
    ...(cmds.length ? [`wc -c ${files}`] : []),
    `printf '#HK-DATA\\n'`,
    ...(cmds.length ? [`cat ${files} | base64`] : []),
    `printf '#HK-DONE\\n'`,
    "",
  );
  return lines.join("\n");
}

/** Parse the stdout of `sh -s` fed a `batchScript`. Throws when the output is truncated or malformed. */
export function parseBatch(stdout: Uint8Array): ExecResult[] {
  const lines = latin1.decode(stdout).split("\n");
  const at = lines.findIndex((l) => l.startsWith("#HK-BATCH "));
  if (at < 0) throw new Error("batch output has no #HK-BATCH header (did the script run?)");
  const count = Number(lines[at]!.slice("#HK-BATCH ".length));
  const fail = (why: string): never => {
    throw new Error(`batch output for ${count} commands is malformed or truncated: ${why}`);
  };
  const codes = (lines[at + 1] ?? "").split(" ");
  if (codes.shift() !== "#HK-CODES" || codes.length !== count) fail("expected #HK-CODES with one code per command");
  if (lines[at + 2] !== "#HK-SIZES") fail("expected #HK-SIZES");
  const sizes = lines.slice(at + 3, at + 3 + 2 * count).map((l) => Number(/^\s*(\d+)\s/.exec(l)?.[1] ?? NaN));
  if (sizes.length !== 2 * count || sizes.some(Number.isNaN)) fail("expected one size per output file");
  const dataAt = lines.indexOf("#HK-DATA", at + 3);
  const doneAt = lines.indexOf("#HK-DONE", dataAt + 1);
  if (dataAt < 0 || doneAt < 0) fail("expected #HK-DATA ... #HK-DONE");
  const data = Buffer.from(lines.slice(dataAt + 1, doneAt).join(""), "base64");
  if (data.length !== sizes.reduce((a, b) => a + b, 0)) fail(`data is ${data.length} bytes, sizes say otherwise`);
  const results: ExecResult[] = [];
  let off = 0;
  const take = (n: number) => new Uint8Array(data.subarray(off, (off += n)));
  for (let i = 0; i < count; i++) {
    const stdout = take(sizes[2 * i]!);
    results.push({ code: Number(codes[i]), stdout, stderr: take(sizes[2 * i + 1]!) });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// Session protocol: one remote `sh` loop runs commands sent as frames; results come back length-prefixed.
//
//   driver → client   HKREADY 1\n                                 once, when the loop is ready
//   client → driver   HKC <stdinLen> <command line>\n <stdin bytes>
//   driver → client   HKR <code> <stdoutLen> <stderrLen>\n <stdout bytes> <stderr bytes>
//
// The command line is ONE line (newlines inside arguments are spelled "$hk_nl"), read with the `read`
// builtin (byte-wise on pipes: no fork) and run with `eval` in a subshell, in the login directory. A line cut
// short by a lost connection has no newline, so `read` fails and nothing runs. Stdin is read with
// `head -c N` (never reads past N) and its length checked. stdin/stdout/stderr live in a private temp dir,
// so commands never touch the channel. The driver has no single quote and no backslash: it survives any
// login shell's quoting. Per command: one fork for the command, `wc` + `cat` only when it printed something,
// `head` + `wc` only when it gets stdin.
// ---------------------------------------------------------------------------------------------------------------

export const SESSION_VERSION = 1;
export const SESSION_READY = `HKREADY ${SESSION_VERSION}`;
const NL_VAR = "hk_nl";

export const SESSION_DRIVER = [
  "d=$(mktemp -d) || exit 97",
  "h=$PWD",
  `${NL_VAR}="\n"`,
  `cleanup() { rm -rf "$d"; }`,
  "trap cleanup 0",
  `trap "exit 129" HUP`,
  `trap "exit 143" TERM`,
  `cd "$d" || exit 97`,
  `echo ${SESSION_READY}`,
  "while read -r t m c; do",
  `  [ "$t" = HKC ] || exit 98`,
  `  if [ "$m" -gt 0 ]; then`,
  // A stdin cut short (connection lost) must never be fed to the command.
  `    head -c "$m" >i && [ $(($(wc -c <i))) -eq "$m" ] || exit 99`,
  "  else",
  "    : >i",
  "  fi",
  `  (cd "$h" && eval "$c") <i >o 2>e`,
  "  r=$?",
  "  if [ -s o ] || [ -s e ]; then",
  "    set -- $(wc -c o e)",
  `    echo "HKR $r $1 $3"`,
  "    cat o e",
  "  else",
  `    echo "HKR $r 0 0"`,
  "  fi",
  "done",
].join("\n");

/** The remote command line that starts the driver (through `sudo -n` when asked). */
export function sessionCommand(opts: { sudo?: boolean } = {}): string {
  const argv = opts.sudo ? ["sudo", "-n", "sh", "-c", SESSION_DRIVER] : ["sh", "-c", SESSION_DRIVER];
  return `exec ${commandLine(argv)}`;
}

/** Like `commandLine`, on one line: a newline inside an argument becomes the driver's "$hk_nl". */
export function sessionLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError("a command needs at least one word (argv is empty)");
  return argv
    .map((a) => (a.includes("\n") ? a.split("\n").map((part) => `'${part.replaceAll("'", `'\\''`)}'`).join(`"$${NL_VAR}"`) : quote(a)))
    .join(" ");
}

/** The header line of a request frame whose stdin is `stdinLen` bytes (they follow it). */
export function encodeHead(argv: readonly string[], stdinLen: number, timeoutMs?: number): Uint8Array {
  if (argv.some((a) => a.includes("\0"))) throw new TypeError("an argument cannot contain a NUL byte");
  if (!Number.isSafeInteger(stdinLen) || stdinLen < 0) throw new TypeError(`bad stdin length ${stdinLen}`);
  const wrapped =
    timeoutMs !== undefined ? ["timeout", "-k", "5", `${Math.max(timeoutMs, 1) / 1000}`, ...argv] : argv;
  return encoder.encode(`HKC ${stdinLen} exec ${sessionLine(wrapped)}\n`);
}

/** Encode one request frame. `timeoutMs` is enforced remotely by coreutils `timeout` (exit 124). */
export function encodeRequest(argv: readonly string[], stdin?: Uint8Array | string, timeoutMs?: number): Uint8Array {
  const input = typeof stdin === "string" ? encoder.encode(stdin) : (stdin ?? new Uint8Array(0));
  const head = encodeHead(argv, input.length, timeoutMs);
  const frame = new Uint8Array(head.length + input.length);
  frame.set(head, 0);
  frame.set(input, head.length);
  return frame;
}

/** The stream did not follow the protocol (driver died, or something else wrote to its stdout). */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

/**
 * Incremental decoder of the driver's stdout. `push` chunks as they arrive; `ready` turns true after the
 * banner (anything before it — e.g. a noisy shell rc file — is skipped); `take()` returns finished results
 * in order. Buffers are joined only when a whole frame is present, so a 5 MB result costs one copy.
 */
export class SessionDecoder {
  ready = false;
  private chunks: Uint8Array[] = [];
  private size = 0;
  private need: { code: number; out: number; err: number } | undefined;
  private results: ExecResult[] = [];

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.drain();
  }

  take(): ExecResult | undefined {
    return this.results.shift();
  }

  /** Bytes received but not yet part of a finished frame (for diagnostics). */
  get pending(): number {
    return this.size;
  }

  private flat(): Uint8Array {
    if (this.chunks.length !== 1) {
      const all = new Uint8Array(this.size);
      let o = 0;
      for (const c of this.chunks) {
        all.set(c, o);
        o += c.length;
      }
      this.chunks = [all];
    }
    return this.chunks[0] ?? new Uint8Array(0);
  }

  private consume(n: number): Uint8Array {
    const all = this.flat();
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.size = rest.length;
    return head;
  }

  private line(limit: number): string | undefined {
    const all = this.flat();
    const nl = all.indexOf(10);
    if (nl < 0) {
      if (all.length > limit) throw new ProtocolError(`no frame header within ${limit} bytes`);
      return undefined;
    }
    return latin1.decode(this.consume(nl + 1).subarray(0, nl));
  }

  private drain(): void {
    for (;;) {
      if (!this.ready) {
        const l = this.line(1 << 20);
        if (l === undefined) return;
        if (l.replace(/\r$/, "") === SESSION_READY) this.ready = true;
        continue;
      }
      if (!this.need) {
        const l = this.line(4096);
        if (l === undefined) return;
        const m = /^HKR (\d+) (\d+) (\d+)$/.exec(l);
        if (!m) throw new ProtocolError(`unexpected frame header ${JSON.stringify(l.slice(0, 80))}`);
        this.need = { code: Number(m[1]), out: Number(m[2]), err: Number(m[3]) };
      }
      const { code, out, err } = this.need;
      if (this.size < out + err) return;
      const body = this.consume(out + err).slice();
      this.need = undefined;
      this.results.push({ code, stdout: body.subarray(0, out), stderr: body.subarray(out) });
    }
  }
}
