import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import type { ContentSource } from "./kind.ts";
/**
 * File content in the model: UTF-8 text as `content` (readable in dumps, plans and diffs), anything
 * else as `contentBase64`. Used by the DSL when a file is declared and by kinds when one is read back.
 */

/** Text stays text; bytes that are not valid UTF-8 are kept as base64. */
export function asContent(bytes: Uint8Array): { content: string } | { contentBase64: string } {
  try {
    return { content: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { contentBase64: Buffer.from(bytes).toString("base64") };
  }
}

/** The bytes of model content. */
export function contentBytes(c: { content?: string; contentBase64?: string }): Uint8Array {
  return c.content !== undefined ? new TextEncoder().encode(c.content) : Buffer.from(c.contentBase64 ?? "", "base64");
}

/** Sources larger than this are carried by reference (path, sha256, size), not as content. */
export const SOURCE_INLINE_LIMIT = 1 << 20;

/**
 * A reference to a large local file (hashed a chunk at a time, never held whole), or undefined when
 * it is small enough to carry as content. Throws when it cannot be read.
 */
export function sourceRef(path: string, limit = SOURCE_INLINE_LIMIT): ContentSource | undefined {
  const fd = openSync(path, "r");
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size <= limit) return undefined;
    const hash = createHash("sha256");
    const buf = Buffer.allocUnsafe(1 << 20);
    let size = 0;
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; size += n) hash.update(buf.subarray(0, n));
    return { path, sha256: hash.digest("hex"), size };
  } finally {
    closeSync(fd);
  }
}
