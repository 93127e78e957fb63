/**
 * Caddyfile tokens, split the way Caddy's own lexer splits them (caddyconfig/caddyfile/lexer.go):
 * whitespace separates tokens; a token starting with `"` runs to the next unescaped `"` (only `\"` is
 * an escape inside it) and one starting with a backtick runs to the next backtick, both possibly
 * across lines; `#` at the start of a token comments out the rest of the line; a `\` before a newline
 * joins two lines; a token starting with `<<` opens a heredoc (Caddy 2.7+). A block is opened and
 * closed by unquoted tokens that are exactly `{` and `}`.
 *
 * Used for two jobs that must see the file as Caddy will: finding the top-level `import` lines of a
 * host's main Caddyfile, and checking that a raw directive line cannot leave its line or its block.
 */

export interface Token {
  text: string;
  /** The quote character that enclosed it, if any (a quoted `{` opens no block). */
  quote?: '"' | "`";
  /** 1-based line where the token starts. */
  line: number;
}

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; line: number; error: string };

/** Tokenize a whole file. Errors only for input Caddy itself would reject or read differently. */
export function tokenize(text: string): TokenizeResult {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (ch === "\n") {
      line++;
      i++;
      continue;
    }
    if (ch === "\\" && text[i + 1] === "\n") {
      // an escaped newline continues the line: same tokens, next line number
      line++;
      i += 2;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "#") {
      while (i < n && text[i] !== "\n") i++;
      continue;
    }
    const start = line;
    if (ch === '"' || ch === "`") {
      let val = "";
      i++;
      let closed = false;
      while (i < n) {
        const c = text[i]!;
        if (ch === '"' && c === "\\" && i + 1 < n) {
          // only \" is an escape; any other escaped character keeps its backslash
          const nx = text[i + 1]!;
          val += nx === '"' ? '"' : `\\${nx}`;
          if (nx === "\n") line++;
          i += 2;
          continue;
        }
        if (c === ch) {
          closed = true;
          i++;
          break;
        }
        if (c === "\n") line++;
        val += c;
        i++;
      }
      if (!closed) return { ok: false, line: start, error: `unterminated ${ch === '"' ? "quoted string" : "backtick string"}` };
      tokens.push({ text: val, quote: ch, line: start });
      continue;
    }
    let val = "";
    while (i < n && !/\s/.test(text[i]!)) {
      if (text[i] === "\\" && i + 1 < n) {
        if (text[i + 1] === "\n") break; // line continuation, handled above
        val += text.slice(i, i + 2); // an escaped character is kept with its backslash
        i += 2;
        continue;
      }
      val += text[i];
      i++;
    }
    if (val.startsWith("<<")) {
      // heredoc: everything up to a line ending in the marker is one token
      const marker = val.slice(2);
      const end = marker ? text.indexOf("\n", i) : -1;
      const close = end < 0 ? -1 : findHeredocEnd(text, end + 1, marker);
      if (close < 0) return { ok: false, line: start, error: `unterminated heredoc ${val}` };
      line += countNewlines(text.slice(i, close));
      i = close;
    }
    tokens.push({ text: val, line: start });
  }
  return { ok: true, tokens };
}

function findHeredocEnd(text: string, from: number, marker: string): number {
  let at = from;
  while (at <= text.length) {
    const nl = text.indexOf("\n", at);
    const stop = nl < 0 ? text.length : nl;
    // Caddy ends the heredoc as soon as the marker follows a line's indentation; arguments may follow
    const row = text.slice(at, stop);
    const indent = row.length - row.trimStart().length;
    if (row.startsWith(marker, indent)) return at + indent + marker.length;
    if (nl < 0) return -1;
    at = nl + 1;
  }
  return -1;
}

function countNewlines(s: string): number {
  let c = 0;
  for (const ch of s) if (ch === "\n") c++;
  return c;
}

export const isOpen = (t: Token): boolean => t.quote === undefined && t.text === "{";
export const isClose = (t: Token): boolean => t.quote === undefined && t.text === "}";

/** One line of tokens at the block depth where the line starts. */
export interface Line {
  depth: number;
  line: number;
  tokens: Token[];
}

/**
 * Group tokens into lines (a directive and its arguments) with the nesting depth each starts at.
 * Errors on a `}` with no open block; `depth` at the end tells whether every block was closed.
 */
export function lines(tokens: Token[]): { ok: true; lines: Line[]; depth: number } | { ok: false; line: number; error: string } {
  const out: Line[] = [];
  let depth = 0;
  let cur: Line | undefined;
  for (const t of tokens) {
    if (!cur || cur.line !== t.line) {
      cur = { depth, line: t.line, tokens: [] };
      out.push(cur);
    }
    cur.tokens.push(t);
    if (isOpen(t)) depth++;
    else if (isClose(t)) {
      if (depth === 0) return { ok: false, line: t.line, error: "'}' closes a block that was never opened" };
      depth--;
    }
  }
  return { ok: true, lines: out, depth };
}
