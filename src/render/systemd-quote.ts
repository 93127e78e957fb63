/**
 * Quoting for systemd unit files, per systemd.service(5) "Command lines" and systemd.syntax(7).
 *
 * What systemd does to a directive value (checked against systemd's own parser in
 * test/render/systemd-quote.test.ts):
 * - `%` starts a specifier in almost every directive, so a literal `%` is written `%%`;
 * - ExecStart= splits words on whitespace, groups with quotes and decodes C escapes; at exec time it
 *   expands `$NAME`/`${NAME}` in the arguments (not in the program path), so a literal `$` is `$$`;
 * - Environment= and path lists (ReadWritePaths=) split and unquote the same way but never expand `$`;
 * - WorkingDirectory=, EnvironmentFile=, Description= take the rest of the line verbatim.
 */
const PLAIN = /^[A-Za-z0-9_@+=:,./-]+$/;

function quoteWith(word: string, dollar: boolean): string {
  if (PLAIN.test(word)) return word;
  let out = '"';
  for (const ch of word) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (ch === "$" && dollar) out += "$$";
    else if (ch === "%") out += "%%";
    else out += ch;
  }
  return `${out}"`;
}

/**
 * One ExecStart= argument: plain words as is, anything else double-quoted with C escapes, `$` → `$$`
 * and `%` → `%%`.
 * @example quoteWord("it's $HOME") // "\"it's $$HOME\""
 */
export function quoteWord(word: string): string {
  return quoteWith(word, true);
}

/**
 * One word of a list directive that unquotes but does not expand variables (Environment=,
 * ReadWritePaths=): like `quoteWord` but `$` stays `$`.
 * @example quoteArg("A=x y") // "\"A=x y\""
 */
export function quoteArg(word: string): string {
  return quoteWith(word, false);
}

/**
 * A value systemd takes verbatim except for specifiers (Description=, WorkingDirectory=,
 * EnvironmentFile=, SyslogIdentifier=): `%` → `%%`. Line breaks are refused by the unit renderer.
 */
export function escapeSpecifiers(value: string): string {
  return value.replaceAll("%", "%%");
}

/** An argv as an ExecStart= value. A lone `;` is escaped so it is not read as a command separator. */
export function execLine(argv: readonly string[]): string {
  return argv.map((a) => (a === ";" ? "\\;" : quoteWord(a))).join(" ");
}

/**
 * Why this program cannot be the first word of an ExecStart= line, or undefined when it can.
 * systemd wants an absolute path or a bare name looked up in its PATH, reads a leading `-@+!:|` as
 * flags, and does not expand `$` in the program path (so `$` cannot be written unambiguously).
 */
export function programProblem(program: string): string | undefined {
  if (program === "") return "the program is empty";
  if (/^[-@+!:|]/.test(program)) return `program ${JSON.stringify(program)} must not start with a systemd prefix character (-@+!:|)`;
  if (program.includes("$")) return `program ${JSON.stringify(program)} must not contain "$" (systemd does not expand variables in the program path)`;
  if (!program.startsWith("/") && program.includes("/")) return `program ${JSON.stringify(program)} must be an absolute path or a bare command name`;
  if (/[\x00-\x1f\x7f]/.test(program)) return `program ${JSON.stringify(program)} contains a control character`;
  return undefined;
}
