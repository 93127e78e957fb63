/**
 * Quoting for systemd unit files, per systemd.service(5) "Command lines" and systemd.syntax(7):
 * words are split on whitespace, double quotes group, C escapes are decoded, `$` expands variables
 * and `%` expands specifiers. A word made of plain characters is written as is; any other word is
 * double-quoted with `\\`, `\"` and C escapes, and `$` → `$$`, `%` → `%%` everywhere.
 */
const PLAIN = /^[A-Za-z0-9_@+=:,./-]+$/;

export function quoteWord(word: string): string {
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
    else if (ch === "$") out += "$$";
    else if (ch === "%") out += "%%";
    else out += ch;
  }
  return `${out}"`;
}

/** An argv as an ExecStart= value. A lone `;` is escaped so it is not read as a command separator. */
export function execLine(argv: readonly string[]): string {
  return argv.map((a) => (a === ";" ? "\\;" : quoteWord(a))).join(" ");
}
