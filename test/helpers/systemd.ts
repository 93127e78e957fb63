/**
 * systemd as a test oracle, offline (PID 1 need not be systemd):
 * - `systemd-analyze verify` on unit files in a temp dir;
 * - `systemd-analyze security --offline=true` exposure scores;
 * - `systemd --test` (run as an unprivileged user), which loads units with systemd's own parser
 *   and dumps what it understood, including each ExecStart= argv;
 * - a small reimplementation of systemd's ExecStart= unquoting (systemd.syntax(7),
 *   systemd.service(5) "Command lines") to compare against without systemd.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const which = (name: string, dirs: string[]) => dirs.map((d) => join(d, name)).find((p) => existsSync(p));

export const SYSTEMD_ANALYZE = Bun.which("systemd-analyze") ?? which("systemd-analyze", ["/usr/bin", "/bin"]);
export const SYSTEMD = which("systemd", ["/usr/lib/systemd", "/lib/systemd"]);
const SETPRIV = Bun.which("setpriv") ?? which("setpriv", ["/usr/bin", "/bin"]);

/** Why the systemd-based checks cannot run here, or undefined when they can. */
export const noSystemdAnalyze = SYSTEMD_ANALYZE ? undefined : "systemd-analyze is not installed (apt-get install systemd)";
export const noSystemdTest = !SYSTEMD
  ? "systemd is not installed (apt-get install systemd)"
  : process.getuid?.() === 0 && !SETPRIV
    ? "systemd --test refuses root and setpriv (util-linux) is missing to drop privileges"
    : undefined;

export type Units = Record<string, string>;

function unitDir(units: Units): string {
  const dir = mkdtempSync(join(tmpdir(), "hostkit-units-"));
  chmodSync(dir, 0o755); // readable by the unprivileged user systemd --test runs as
  for (const [name, text] of Object.entries(units)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o644);
  }
  return dir;
}

function run(argv: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { ...process.env, SYSTEMD_LOG_COLOR: "0", SYSTEMD_PAGER: "", ...env } });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/**
 * `systemd-analyze verify` over a set of units written together (a timer finds its service).
 * Returns every line it printed, minus exactly one kind: "<unit>: Command <program> is not
 * executable: No such file or directory" for the unit's own ExecStart program (given in
 * `programs`), because the examples' programs are not installed on the test machine. Anything else
 * (unknown key, unknown section, unparsable value, bad quoting…) is returned and fails the test.
 */
export function verifyUnits(units: Units, programs: Record<string, string[]> = {}): { code: number; problems: string[]; filtered: string[] } {
  const dir = unitDir(units);
  try {
    const r = run([SYSTEMD_ANALYZE!, "verify", "--man=no", ...Object.keys(units).map((n) => join(dir, n))]);
    const lines = `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => l.trim());
    const problems: string[] = [];
    const filtered: string[] = [];
    for (const line of lines) {
      const m = /^(\S+): Command (.+) is not executable: No such file or directory$/.exec(line);
      if (m && (programs[m[1]!] ?? []).includes(m[2]!)) filtered.push(line);
      else problems.push(line.replaceAll(dir, "<dir>"));
    }
    return { code: r.code, problems, filtered };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Overall exposure from `systemd-analyze security --offline=true` (0 = best, 10 = worst). */
export function securityExposure(name: string, text: string): number {
  const dir = unitDir({ [name]: text });
  try {
    const r = run([SYSTEMD_ANALYZE!, "security", "--offline=true", "--no-pager", join(dir, name)]);
    const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(r.stdout);
    if (!m) throw new Error(`no exposure level in systemd-analyze output:\n${r.stdout}\n${r.stderr}`);
    return Number(m[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Load units with systemd's own parser (`systemd --test --system`, unprivileged) and return, per
 * unit, the directives it dumped as `[key, value]` pairs (e.g. `["Command Line", "/bin/echo …"]`,
 * `["Environment", "A=b"]`, `["ReadWritePaths", "/a /b"]`).
 */
export function systemdLoad(units: Units, defaultUnit: string): Map<string, [string, string][]> {
  const dir = unitDir(units);
  try {
    const drop = process.getuid?.() === 0 ? [SETPRIV!, "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const r = run([...drop, SYSTEMD!, "--test", "--system", `--unit=${defaultUnit}`, "--no-pager"], {
      SYSTEMD_UNIT_PATH: `${dir}:`, // our units first, then the system's (for sysinit.target & co.)
      HOME: tmpdir(),
    });
    if (r.code !== 0) throw new Error(`systemd --test failed (${r.code}):\n${r.stderr}`);
    const out = new Map<string, [string, string][]>();
    let current: [string, string][] | undefined;
    for (const line of r.stdout.split("\n")) {
      const unit = /^\t-> Unit (.+):$/.exec(line);
      if (unit) {
        current = unit[1]! in units ? [] : undefined;
        if (current) out.set(unit[1]!, current);
        continue;
      }
      const kv = /^\t\t\t?([A-Za-z][A-Za-z ]*): (.*)$/.exec(line);
      if (current && kv) current.push([kv[1]!, kv[2]!]);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Parse one `Command Line:` of systemd's dump (systemd's quote_command_line: words joined by one
 * space; a word that needs it is double-quoted with `\\`, `\"`, `` \` ``, `\$` and C escapes, control
 * characters as `\NNN` octal).
 */
export function parseDumpedCommandLine(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === " ") {
      i++;
      continue;
    }
    if (line[i] !== '"') {
      const end = line.indexOf(" ", i);
      words.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length : end;
      continue;
    }
    const bytes: number[] = [];
    const push = (s: string) => bytes.push(...new TextEncoder().encode(s));
    i++;
    while (i < line.length && line[i] !== '"') {
      if (line[i] !== "\\") {
        const cp = line.codePointAt(i)!;
        push(String.fromCodePoint(cp));
        i += cp > 0xffff ? 2 : 1;
        continue;
      }
      const c = line[i + 1]!;
      const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };
      if (c in simple) {
        bytes.push(simple[c]!);
        i += 2;
      } else if (/[0-7]/.test(c)) {
        bytes.push(parseInt(line.slice(i + 1, i + 4), 8));
        i += 4;
      } else {
        push(c);
        i += 2;
      }
    }
    if (line[i] !== '"') throw new Error(`unterminated quote in dumped command line: ${line}`);
    i++;
    words.push(new TextDecoder().decode(new Uint8Array(bytes)));
  }
  return words;
}

/**
 * What a process started by systemd receives for a stored argv word: `$$` → `$` (systemd's exec-time
 * variable expansion, replace_env). A real `$NAME`/`${NAME}` reference is an error here: HostKit
 * never means one.
 */
export function execTimeExpand(word: string): string {
  let out = "";
  for (let i = 0; i < word.length; i++) {
    if (word[i] !== "$") {
      out += word[i];
      continue;
    }
    if (word[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    if (word[i + 1] === "{" || /[A-Za-z_]/.test(word[i + 1] ?? "")) throw new Error(`word ${JSON.stringify(word)} would expand a variable at position ${i}`);
    out += "$";
  }
  return out;
}

/**
 * The test oracle: how systemd reads an ExecStart= value, per systemd.service(5) and
 * systemd.syntax(7). In order: specifiers (`%%` → `%`; any other specifier is an error here),
 * then words split on whitespace with double/single quotes grouping and C escapes decoded inside
 * and outside quotes (a lone `;` separates commands, `\;` is a literal `;`), then exec-time `$$` →
 * `$` on each word. Returns the argv the program receives.
 */
export function systemdExecArgv(value: string): string[] {
  // 1. Specifiers.
  let spec = "";
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== "%") {
      spec += value[i];
      continue;
    }
    if (value[i + 1] !== "%") throw new Error(`specifier %${value[i + 1] ?? ""} in ${JSON.stringify(value)}`);
    spec += "%";
    i++;
  }
  // 2. Words.
  const words: string[] = [];
  let i = 0;
  const ws = (c: string | undefined) => c === " " || c === "\t" || c === "\n";
  while (i < spec.length) {
    while (ws(spec[i])) i++;
    if (i >= spec.length) break;
    if (spec[i] === ";" && (i + 1 >= spec.length || ws(spec[i + 1]))) throw new Error(`command separator ';' in ${JSON.stringify(value)}`);
    if (spec[i] === "\\" && spec[i + 1] === ";" && (i + 2 >= spec.length || ws(spec[i + 2]))) {
      words.push(";");
      i += 2;
      continue;
    }
    let word = "";
    let quote: string | undefined;
    for (; i < spec.length; i++) {
      const c = spec[i]!;
      if (!quote && ws(c)) break;
      if (!quote && (c === '"' || c === "'")) {
        quote = c;
        continue;
      }
      if (quote && c === quote) {
        quote = undefined;
        continue;
      }
      if (c === "\\") {
        const [ch, len] = cunescapeOne(spec, i + 1);
        word += ch;
        i += len;
        continue;
      }
      word += c;
    }
    if (quote) throw new Error(`unbalanced quote in ${JSON.stringify(value)}`);
    words.push(word);
  }
  // 3. Exec-time variable expansion.
  return words.map(execTimeExpand);
}

/** systemd's cunescape_one: one escape after a backslash → [decoded, length consumed]. */
function cunescapeOne(s: string, at: number): [string, number] {
  const c = s[at];
  const simple: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"', "'": "'", s: " " };
  if (c === undefined) throw new Error("trailing backslash");
  if (c in simple) return [simple[c]!, 1];
  if (c === "x" && /^[0-9a-fA-F]{2}$/.test(s.slice(at + 1, at + 3))) return [String.fromCharCode(parseInt(s.slice(at + 1, at + 3), 16)), 3];
  if (/[0-7]/.test(c) && /^[0-7]{3}$/.test(s.slice(at, at + 3))) return [String.fromCharCode(parseInt(s.slice(at, at + 3), 8)), 3];
  if (c === "u" && /^[0-9a-fA-F]{4}$/.test(s.slice(at + 1, at + 5))) return [String.fromCodePoint(parseInt(s.slice(at + 1, at + 5), 16)), 5];
  throw new Error(`unknown escape \\${c} in ${JSON.stringify(s)}`);
}

/** The ExecStart= values of a rendered unit. */
export function execStartValues(unitText: string): string[] {
  return unitText
    .split("\n")
    .filter((l) => l.startsWith("ExecStart="))
    .map((l) => l.slice("ExecStart=".length));
}
