/** `file`: content (compared by sha256), owner, group and mode; written atomically. */
import { createHash } from "node:crypto";
import type { FileRes } from "../model/resource.ts";
import { text } from "../targets/runner.ts";
import { WRITE_FILE } from "./scripts.ts";
import { metaDiffs, parseStat, statProbe, type PathStat } from "./stat.ts";
import { onTarget, type Kind, type Op, type Payload } from "./types.ts";

/** Previous content up to this size is kept in the plan (for diffs and down plans); larger is hashed only. */
export const CONTENT_LIMIT = 1 << 20;

export interface FileFact extends PathStat {
  sha256?: string;
  /** UTF-8 text, or base64 when the bytes are not valid UTF-8. Absent above CONTENT_LIMIT. */
  content?: string;
  contentBase64?: string;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function contentBytes(c: { content?: string; contentBase64?: string }): Uint8Array {
  return c.content !== undefined ? new TextEncoder().encode(c.content) : Buffer.from(c.contentBase64 ?? "", "base64");
}

export function asContent(bytes: Uint8Array): { content: string } | { contentBase64: string } {
  try {
    return { content: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { contentBase64: Buffer.from(bytes).toString("base64") };
  }
}

/** Probe + parse of a file's metadata, hash and (bounded) content; shared by file-like kinds. */
export const fileProbe = (path: string) => [statProbe(path), ["sha256sum", "--", path], ["head", "-c", String(CONTENT_LIMIT + 1), "--", path]];

export function parseFileFact(out: Parameters<Kind["parse"]>[1], facts: Parameters<Kind["parse"]>[2], ctx: Parameters<Kind["parse"]>[3]): FileFact {
  const st = parseStat(out[0], facts, ctx);
  if (!st.exists || st.fileType !== "regular file" && st.fileType !== "regular empty file") return st;
  const sum = out[1]?.code === 0 ? text(out[1].stdout).split(" ")[0] : undefined;
  const bytes = out[2]?.code === 0 ? out[2].stdout : undefined;
  const fact: FileFact = { ...st, fileType: "regular file", ...(sum ? { sha256: sum } : {}) };
  if (bytes && bytes.length <= CONTENT_LIMIT) Object.assign(fact, asContent(bytes));
  return fact;
}

export function beforeOf(f: FileFact): Record<string, unknown> {
  if (!f.exists) return { exists: false };
  const b: Record<string, unknown> = { exists: true, fileType: f.fileType, sha256: f.sha256, size: f.size, owner: f.owner, group: f.group, mode: f.mode };
  if (f.content !== undefined) b.content = f.content;
  if (f.contentBase64 !== undefined) b.contentBase64 = f.contentBase64;
  return b;
}

export function writeOp(label: string, path: string, payload: Payload, meta: { mode: number; owner: string; group: string }, root: string | undefined): Op {
  return { label, argv: ["sh", "-c", WRITE_FILE, "hostkit-write", path, meta.mode.toString(8), meta.owner, meta.group, root ?? ""], stdin: payload };
}

export const file: Kind<FileRes, FileFact> = {
  type: "file",
  probe: (r, ctx) => fileProbe(onTarget(ctx, r.path)),
  parse: (_r, out, facts, ctx) => parseFileFact(out, facts, ctx),
  basis: (f) => ({ ...f, content: undefined, contentBase64: undefined }),
  diff(r, f) {
    const want = sha256(contentBytes(r));
    const after = { sha256: want, owner: r.owner, group: r.group, mode: r.mode };
    const before = beforeOf(f);
    if (!f.exists) return { action: "create", reason: "file does not exist", before, after };
    if (f.fileType !== "regular file") return { action: "update", reason: `is a ${f.fileType}, not a file`, before, after };
    const why = f.sha256 !== want ? ["content differs"] : [];
    why.push(...metaDiffs(f, r));
    return why.length ? { action: "update", reason: why.join(", "), before, after } : { action: "noop", reason: "file matches", before, after };
  },
  ops(change, ctx) {
    const r = change.resource as FileRes;
    const path = onTarget(ctx, r.path);
    if (change.action === "delete") return [{ label: `remove file ${r.path}`, argv: ["rm", "-f", "--", path] }];
    const payload: Payload = r.content !== undefined ? { text: r.content } : { base64: r.contentBase64 ?? "" };
    return [writeOp(`write file ${r.path}`, path, payload, r, ctx.root)];
  },
};
