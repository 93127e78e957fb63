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
