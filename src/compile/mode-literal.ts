/**
 * @internal How a numeric `mode:` was written in the infra file. At run time `0o644 === 420`, so the
 * value alone cannot tell `mode: 644` (a decimal slip) from `mode: 0o644`; the declaration's source
 * text can. Reads the call's text from its file:line and finds the `mode:` literal in it.
 */
import { readFileSync } from "node:fs";
import type { SourceLoc } from "../model/source.ts";

const cache = new Map<string, string[] | null>();

function lines(file: string): string[] | null {
  if (!cache.has(file)) {
    try {
      cache.set(file, readFileSync(file, "utf8").split("\n"));
    } catch {
      cache.set(file, null);
    }
  }
  return cache.get(file)!;
}

/**
 * The numeric literal given to `mode:` in the declaration starting at `source` (searched over the
 * next few lines, up to the next declaration), as written: `"750"`, `"0o750"`, `"0x1ed"`, `"488"`.
 * Undefined when the mode is computed or the file cannot be read.
 */
export function modeLiteral(source: SourceLoc): string | undefined {
  const all = lines(source.file);
  if (!all || source.line < 1) return undefined;
  const text = all.slice(source.line - 1, source.line + 11).join("\n");
  // Stop at the next DSL call so a later declaration's mode is not taken for this one's.
  const call = /\b[a-z]\.(directory|file|storage|env|account|service|daemon|timer|command)\s*\(/g;
  const first = call.exec(text);
  const next = first ? call.exec(text) : null;
  const own = next ? text.slice(0, next.index) : text;
  return /\bmode\s*:\s*(0[oOxXbB][0-9a-fA-F_]+|[0-9][0-9_]*)\b/.exec(own)?.[1];
}
