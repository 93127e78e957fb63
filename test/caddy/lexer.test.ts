/**
 * The tokenizer splits lines the way Caddy does: for tricky quoting, the token our lexer reads is the
 * very body Caddy's adapted config answers with (`respond TOKEN`), and blocks are counted the same.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { lines, tokenize } from "../../src/caddy/lexer.ts";
import { adapt, caddyUnavailable, freshDir, write } from "./caddy.ts";

const skip = caddyUnavailable("test/caddy/lexer.test.ts");

const bodies = ['"a \\"b\\" c"', '"a\\\\b"', '"x\\\\"', "`a \"b\" \\c`", 'a\\"b', '"multi\nline"', '"#not-comment"', "a#b", '"{not a block}"'];

describe("tokenize", () => {
  test("tokens, lines and depths", () => {
    const t = tokenize('# comment\n(snip) {\n\trespond "x {" 200 # trailing\n}\nimport a \\\n  b\n');
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    expect(t.tokens.map((x) => x.text)).toEqual(["(snip)", "{", "respond", "x {", "200", "}", "import", "a", "b"]);
    const g = lines(t.tokens);
    expect(g.ok && g.lines.map((l) => [l.line, l.depth, l.tokens.length])).toEqual([[2, 0, 2], [3, 1, 3], [4, 1, 1], [5, 0, 2], [6, 0, 1]]);
  });
  test("unterminated quotes and heredocs are errors with their line", () => {
    expect(tokenize('a\nrespond "x\n')).toEqual({ ok: false, line: 2, error: "unterminated quoted string" });
    expect(tokenize("respond `x")).toEqual({ ok: false, line: 1, error: "unterminated backtick string" });
    expect(tokenize("respond <<EOF\nhi\n")).toEqual({ ok: false, line: 1, error: "unterminated heredoc <<EOF" });
    const h = tokenize("respond <<EOF\n\thi }\n\tEOF 200\n}");
    expect(h.ok && h.tokens.map((x) => x.text)).toEqual(["respond", "<<EOF", "200", "}"]);
  });
});

describe.skipIf(skip)("the same tokens as Caddy", () => {
  for (const body of bodies) {
    test(`respond ${JSON.stringify(body)}`, () => {
      const file = write(join(freshDir("lex"), "site.caddy"), `:8085 {\n\trespond ${body}\n}\n`);
      const json = JSON.stringify(adapt(file));
      const t = tokenize(body);
      expect(t.ok).toBe(true);
      if (!t.ok) return;
      expect(t.tokens).toHaveLength(1);
      expect(json).toContain(`"body":${JSON.stringify(t.tokens[0]!.text)}`);
    });
  }
});
