/** A small unified line diff (LCS) for plan output. Large inputs fall back to a one-line summary. */

export function unifiedDiff(before: string, after: string, context = 3, maxCells = 4_000_000): string[] {
  // A final newline ends the last line; it is not an empty line of its own.
  const lines = (t: string) => (t === "" ? [] : (t.endsWith("\n") ? t.slice(0, -1) : t).split("\n"));
  const a = lines(before);
  const b = lines(after);
  if (a.length * b.length > maxCells) return [`@@ content differs (${a.length} → ${b.length} lines; too large to show) @@`];
  // LCS table from the end.
  const n = a.length;
  const m = b.length;
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i]![j] = a[i] === b[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const ops: { t: " " | "-" | "+"; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ t: " ", line: a[i]! });
      i++;
      j++;
    } else if (i < n && (j >= m || dp[i + 1]![j]! >= dp[i]![j + 1]!)) ops.push({ t: "-", line: a[i++]! });
    else ops.push({ t: "+", line: b[j++]! });
  }
  // Keep changed lines with `context` lines around them.
  const keep = new Array(ops.length).fill(false);
  ops.forEach((o, k) => {
    if (o.t === " ") return;
    for (let x = Math.max(0, k - context); x <= Math.min(ops.length - 1, k + context); x++) keep[x] = true;
  });
  const out: string[] = [];
  let gap = false;
  ops.forEach((o, k) => {
    if (!keep[k]) {
      gap = true;
      return;
    }
    if (gap || out.length === 0) out.push("@@");
    gap = false;
    out.push(`${o.t}${o.line}`);
  });
  if (before.endsWith("\n") !== after.endsWith("\n") && before !== "" && after !== "") out.push(`\\ newline at end of file ${after.endsWith("\n") ? "added" : "removed"}`);
  return out;
}

/** A diff is for reading: very long lines and very long diffs are cut, saying how much was left out. */
const MAX_LINE = 200;
const MAX_LINES = 120;
function clip(lines: string[]): string[] {
  const cut = lines.map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}… (${l.length - MAX_LINE} more characters)` : l));
  return cut.length > MAX_LINES ? [...cut.slice(0, MAX_LINES), `… ${cut.length - MAX_LINES} more lines`] : cut;
}

/** `(binary, N bytes)` for base64 content. */
export function binarySummary(base64: string): string {
  return `(binary, ${Buffer.from(base64, "base64").length} bytes)`;
}

/**
 * The lines shown under a change whose content changes: a coloured unified diff for text, one line for
 * binary content, nothing when the texts are equal or unknown.
 */
export function contentDiff(before: Record<string, unknown> | undefined, newText: string | undefined, newSha256: unknown, paint: (code: number, s: string) => string): string[] {
  const hidden = typeof before?.contentHidden === "string" ? `previous content not shown: ${before.contentHidden}` : undefined;
  const oldText = contentText(before) ?? "";
  const sameBytes = hidden !== undefined && typeof before?.sha256 === "string" && before.sha256 === newSha256;
  if (newText === undefined || sameBytes || (!hidden && oldText === newText)) return [];
  const painted = (lines: string[]) => lines.map((l) => (l.startsWith("+") ? paint(32, l) : l.startsWith("-") ? paint(31, l) : l.startsWith("@@") ? paint(36, l) : l));
  // The plan does not hold content that may be secret: say so, then the declared content as new lines.
  if (hidden && newText.startsWith("(binary")) return [`content: (${hidden}) → ${newText}`];
  if (hidden) return [`(${hidden})`, ...painted(clip(newText.replace(/\n$/, "").split("\n").map((l) => `+${l}`)))];
  if (newText.startsWith("(binary") || oldText.startsWith("(binary")) return [`content: ${oldText || "(none)"} → ${newText}`];
  return painted(clip(oldText === "" ? newText.replace(/\n$/, "").split("\n").map((l) => `+${l}`) : unifiedDiff(oldText, newText)));
}

/** The text of a `content`/`contentBase64` record, for diffs. */
export function contentText(x: Record<string, unknown> | undefined): string | undefined {
  if (!x) return undefined;
  if (typeof x.content === "string") return x.content;
  if (typeof x.contentBase64 === "string") return binarySummary(x.contentBase64);
  return undefined;
}
