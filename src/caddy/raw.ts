/**
 * The `raw` escape hatch: Caddyfile directive lines placed inside a site block as written. Only
 * checked so they cannot leave their line or the site block — one directive per line, a `{` only at
 * the end of a line, a `}` only alone on its line, blocks balanced, no quote or heredoc left open
 * (either would swallow the lines after it, the site's closing `}` included), no line continuation,
 * no import of other files. Whether Caddy knows the directive is for `caddy validate` to say.
 */
import { isClose, isOpen, tokenize } from "./lexer.ts";

export type RawCheck = { lines: string[] } | { key: string; error: string };

export function checkRaw(input: readonly string[]): RawCheck {
  const lines: string[] = [];
  let depth = 0;
  let opened = 0;
  for (let i = 0; i < input.length; i++) {
    const key = input.length === 1 ? "raw" : `raw[${i}]`;
    const err = (error: string): RawCheck => ({ key, error });
    const line = input[i]!;
    if (typeof line !== "string") return err(`expected a directive line, got ${typeof line}`);
    if (/[\n\r]/.test(line)) return err("a raw line must be one line (use one array element per line)");
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(line)) return err(`raw line ${JSON.stringify(line)} contains a control character`);
    const text = line.trim();
    if (text === "") return err("the raw line is empty");
    if (text.length > 2000) return err("a raw line is limited to 2000 characters");
    if (text.endsWith("\\")) return err(`raw line ${JSON.stringify(text)} ends in "\\", which would join it to the next line`);
    const t = tokenize(text);
    if (!t.ok && t.error.startsWith("unterminated heredoc")) return err(`raw line ${JSON.stringify(text)} opens a heredoc, which raw lines cannot hold`);
    if (!t.ok) return err(`raw line ${JSON.stringify(text)}: ${t.error} (a quote must close on its line)`);
    const toks = t.tokens;
    if (toks.length === 0) {
      lines.push(text); // a comment
      continue;
    }
    for (let j = 0; j < toks.length; j++) {
      if (isOpen(toks[j]!) && j !== toks.length - 1) return err(`raw line ${JSON.stringify(text)}: "{" may only end a line (one directive per line)`);
      if (isClose(toks[j]!) && toks.length !== 1) return err(`raw line ${JSON.stringify(text)}: "}" must stand alone on its line`);
    }
    const first = toks[0]!;
    if (first.quote === undefined && first.text === "import" && toks.slice(1).some((a) => /[/*.]/.test(a.text))) {
      return err(`raw line ${JSON.stringify(text)} imports a file; raw lines may import only a snippet by name`);
    }
    if (isOpen(toks[toks.length - 1]!)) {
      if (depth === 0) opened = i;
      depth++;
    } else if (isClose(first)) {
      if (depth === 0) return err(`raw line ${JSON.stringify(text)} closes a block no raw line opened (it would end the site block)`);
      depth--;
    }
    lines.push(text);
  }
  if (depth > 0) return { key: input.length === 1 ? "raw" : `raw[${opened}]`, error: `the block opened here is never closed in raw (${depth} "}" missing)` };
  return { lines };
}

/** Nesting depth of each (checked) raw line inside the site block: 0 is a site-level directive. */
export function rawDepths(lines: readonly string[]): number[] {
  let depth = 0;
  return lines.map((l) => {
    const toks = tokenize(l);
    const list = toks.ok ? toks.tokens : [];
    if (list.length === 1 && isClose(list[0]!)) depth--;
    const at = depth;
    if (list.length > 0 && isOpen(list[list.length - 1]!)) depth++;
    return at;
  });
}
