/** `file`: content (compared by sha256), owner, group and mode; written atomically. */
import { createHash } from "node:crypto";
import * as v from "valibot";
import { AbsPath, BASE, RollbackSchema } from "../model/resource.ts";
import { text } from "../targets/runner.ts";
import { REMOVE_PATH, WRITE_FILE } from "./scripts.ts";
import { batchWrites } from "./batch-ops.ts";
import { metaDiffs, parseStat, splitStatMany, statManyProbe, statProbe, type PathStat } from "./stat.ts";
import { backupPayload, defineKind, onTarget, type BackupId, type Inverse, type BatchOp, type Kind, type Op, type Payload, type ProbeBatch, type ProbeOutput, type TargetCtx , type KindChange } from "../model/kind.ts";
import { aspects, backupRef, deleteCreated, metaOf, sameKey, withoutContent, type Rec } from "./inverse.ts";
import { binarySummary, contentDiff, contentText } from "../plan/text-diff.ts";
import { asContent, contentBytes } from "../model/content.ts";

/** File content is UTF-8 text (`content`) or arbitrary bytes (`contentBase64`). */
export const FileSchema = v.strictObject({
  ...BASE,
  type: v.literal("file"),
  path: AbsPath,
  content: v.optional(v.string()),
  contentBase64: v.optional(v.string()),
  /** Content too large to carry (a big `source:`): streamed from the controller at apply time, verified by sha256. */
  contentSource: v.optional(v.strictObject({ path: v.string(), sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)), size: v.pipe(v.number(), v.integer(), v.minValue(0)) })),
  owner: v.string(),
  group: v.string(),
  mode: v.number(),
  /** Live hosts: allow parents owned by another non-root user (see the DSL option). */
  unsafeParents: v.optional(v.boolean()),
  rollback: RollbackSchema,
});
export type FileRes = v.InferOutput<typeof FileSchema>;

/** Previous content up to this size is kept in the plan (for diffs and down plans); larger is hashed only. */
export const CONTENT_LIMIT = 1 << 20;

export interface FileFact extends PathStat {
  sha256?: string;
  /** UTF-8 text, or base64 when the bytes are not valid UTF-8. Absent above CONTENT_LIMIT, and for private files. */
  content?: string;
  contentBase64?: string;
  /** Why the previous content was not kept (it may hold secrets). */
  contentHidden?: string;
}

/** The first line of every env file HostKit writes (render/dotenv.ts). */
const ENV_HEADER = "# Managed by HostKit.\n";

/**
 * Why a file's previous content must not be kept in a plan, or undefined. A plan is printed, saved
 * with `--out` and copied into run records, so it only holds content any user of the host may read
 * anyway: a file that others cannot read (mode without o+r: keys, env files, credentials) or that is
 * an env file HostKit wrote (it held secret values, whatever its mode) is compared by hash only.
 */
export function privateContentReason(f: FileFact): string | undefined {
  if (!f.exists || (f.content === undefined && f.contentBase64 === undefined)) return undefined;
  if (f.content?.startsWith(ENV_HEADER)) return "an env file HostKit wrote: it may hold secret values";
  if (typeof f.mode !== "number" || (f.mode & 0o004) === 0) return `not readable by others (mode ${(f.mode ?? 0).toString(8).padStart(4, "0")}): it may hold secrets`;
  return undefined;
}

/** The fact without content that must not reach a plan (see privateContentReason). */
export function withoutPrivateContent(f: FileFact): FileFact {
  const why = privateContentReason(f);
  if (!why) return f;
  const { content: _c, contentBase64: _b, ...rest } = f;
  return { ...rest, contentHidden: why };
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export { asContent, contentBytes };

/** Probe + parse of a file's metadata, hash and (bounded) content; shared by file-like kinds. */
export const fileProbe = (path: string) => [statProbe(path), ["sha256sum", "--", path], ["head", "-c", String(CONTENT_LIMIT + 1), "--", path]];

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();

/**
 * The same reads for many paths as three commands (one `stat`, one `sha256sum -z`, one `head -v`),
 * whatever the number of paths: the cost of a plan grows with the bytes read, not with process spawns.
 */
export function fileManyProbe(paths: readonly string[]): string[][] {
  return [statManyProbe(paths), ["sha256sum", "-z", "--", ...paths], ["head", "-v", "-c", String(CONTENT_LIMIT + 1), "--", ...paths]];
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from: number): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(needle, from);
}

/**
 * Outputs of `fileManyProbe` → per path, what `fileProbe(path)` prints. `head` frames each file with
 * `==> NAME <==`; a regular file's length comes from its `stat` size, and its bytes are kept only when
 * they hash to what `sha256sum` read (a file changed mid-probe, or a symlink, gets no content: the
 * decision is still made on the hash).
 */
export function splitFileMany(paths: readonly string[], out: ProbeOutput[]): ProbeOutput[][] {
  const stats = splitStatMany(paths, out[0]);
  const sums = new Map<string, string>();
  for (const rec of out[1] ? Buffer.from(out[1].stdout).toString("utf8").split("\0") : []) {
    if (rec.length > 66 && rec[64] === " ") sums.set(rec.slice(66), rec.slice(0, 64));
  }
  const head = out[2]?.stdout ?? EMPTY;
  const headerOf = (p: string, first: boolean) => enc.encode(`${first ? "" : "\n"}==> ${p} <==\n`);
  let at = 0;
  let first = true;
  const contents: (Uint8Array | undefined)[] = paths.map((p, i) => {
    const h = headerOf(p, first);
    if (indexOfBytes(head, h, at) !== at) return undefined; // head could not open it: no header
    first = false;
    const start = at + h.length;
    // Where the next file's header starts (any later path), or the end.
    const nextHeader = () => {
      let best = head.length;
      for (let j = i + 1; j < paths.length; j++) {
        const k = indexOfBytes(head, headerOf(paths[j]!, false), start);
        if (k >= 0 && k < best) best = k;
      }
      return best;
    };
    const st = stats[i]!;
    const isFile = st.code === 0 && /^regular (empty )?file\|/.test(Buffer.from(st.stdout).toString("utf8"));
    if (isFile) {
      const size = Number(Buffer.from(st.stdout).toString("utf8").trim().split("|")[6]);
      const end = start + Math.min(size, CONTENT_LIMIT + 1);
      const framedOk = end === head.length || (end < head.length && indexOfBytes(head, enc.encode("\n==> "), end) === end);
      if (framedOk) {
        at = end;
        const bytes = head.subarray(start, end);
        const sum = sums.get(p);
        return bytes.length > CONTENT_LIMIT || (sum !== undefined && sha256(bytes) === sum) ? bytes : undefined;
      }
    }
    at = nextHeader();
    return undefined;
  });
  return paths.map((p, i) => {
    const sum = sums.get(p);
    const shaOut: ProbeOutput = sum === undefined ? { code: 1, stdout: EMPTY, stderr: enc.encode(`sha256sum: ${p}: cannot read\n`) } : { code: 0, stdout: enc.encode(`${sum}  ${p}\n`), stderr: EMPTY };
    const c = contents[i];
    const headOut: ProbeOutput = c === undefined ? { code: 1, stdout: EMPTY, stderr: enc.encode(`head: cannot read '${p}'\n`) } : { code: 0, stdout: c, stderr: EMPTY };
    return [stats[i]!, shaOut, headOut];
  });
}

/** `probeBatch` for kinds whose probe is `fileProbe(path)`. */
export function fileProbeBatch<R>(pathOf: (r: R) => string): (rs: R[], ctx: TargetCtx) => ProbeBatch {
  return (rs, ctx) => {
    const paths = rs.map((r) => onTarget(ctx, pathOf(r)));
    const unique = [...new Set(paths)];
    return {
      cmds: fileManyProbe(unique),
      split(out) {
        const per = new Map(splitFileMany(unique, out).map((o, i) => [unique[i]!, o]));
        return paths.map((p) => per.get(p)!);
      },
    };
  };
}

/** A file's atomic rename cannot replace a directory: refused in the plan (Kind.check). */
export function directoryInTheWay(path: string, f: { exists: boolean; fileType?: string }): string[] {
  return f.exists && f.fileType === "directory" ? [`a directory exists at ${path}, where a file is declared: HostKit does not replace it`] : [];
}

export function parseFileFact(out: Parameters<Kind["parse"]>[1], facts: Parameters<Kind["parse"]>[2], ctx: Parameters<Kind["parse"]>[3]): FileFact {
  const st = parseStat(out[0], facts, ctx);
  if (!st.exists || st.fileType !== "regular file" && st.fileType !== "regular empty file") return st;
  // `sha256sum` escapes a name holding a newline or backslash by starting the line with "\".
  const sum = out[1]?.code === 0 ? text(out[1].stdout).replace(/^\\/, "").split(" ")[0] : undefined;
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
  if (f.contentHidden !== undefined) b.contentHidden = f.contentHidden;
  return b;
}

/** Write `path` (inside the target; the program walks it under ROOT without following links). */
export function writeOp(label: string, path: string, payload: Payload, meta: { mode: number; owner: string; group: string; unsafeParents?: boolean }, root: string | undefined): Op {
  return { label, argv: ["sh", "-c", WRITE_FILE, "hostkit-write", path, meta.mode.toString(8), meta.owner, meta.group, root ?? "", meta.unsafeParents ? "1" : "0"], stdin: payload, sizedStdin: true };
}

/** Remove a file or an empty directory at `path` (inside the target), never through a link. */
export function removeOp(label: string, path: string, kind: "file" | "dir" | "tree", meta: { owner?: string; unsafeParents?: boolean }, root: string | undefined): Op {
  return { label, argv: ["sh", "-c", REMOVE_PATH, "hostkit-remove", path, kind, root ?? "", meta.owner ?? "root", meta.unsafeParents ? "1" : "0"] };
}

export const file: Kind<FileRes, FileFact> = defineKind<FileRes, FileFact>({
  type: "file",
  schema: FileSchema,
  probe: (r, ctx) => fileProbe(onTarget(ctx, r.path)),
  probeBatch: fileProbeBatch<FileRes>((r) => r.path),
  // Private content is dropped here, at the source: it never reaches a fact, a plan or a run record.
  parse: (_r, out, facts, ctx) => withoutPrivateContent(parseFileFact(out, facts, ctx)),
  basis: (f) => ({ ...f, content: undefined, contentBase64: undefined, contentHidden: undefined }),
  diff(r, f) {
    const want = r.contentSource?.sha256 ?? sha256(contentBytes(r));
    const after = { sha256: want, owner: r.owner, group: r.group, mode: r.mode };
    const before = beforeOf(f);
    if (!f.exists) return { action: "create", reason: "file does not exist", before, after };
    if (f.fileType !== "regular file") return { action: "update", reason: `is a ${f.fileType}, not a file`, before, after };
    const why = f.sha256 !== want ? ["content differs"] : [];
    why.push(...metaDiffs(f, r));
    return why.length ? { action: "update", reason: why.join(", "), before, after } : { action: "noop", reason: "file matches", before, after };
  },
  ops(change, ctx) {
    const r = change.resource!;
    if (change.action === "delete") return [removeOp(`remove file ${r.path}`, r.path, "file", r, ctx.root)];
    return [writeOp(`write file ${r.path}`, r.path, filePayload(change), r, ctx.root)];
  },
  opsBatch: (changes, ctx): BatchOp[] =>
    batchWrites(changes, ctx.root, (c, index) => (c.action === "delete" ? undefined : { index, label: `write file ${c.resource!.path}`, path: c.resource!.path, payload: filePayload(c), ...metaOfRes(c.resource!) }), (c): Op[] => file.ops(c, ctx)),
  writes: (r) => ({ path: r.path, owner: r.owner, trust: !!r.unsafeParents }),
  needs: (r) => ({ users: [r.owner], groups: [r.group] }),
  check: { problems: (r, f) => directoryInTheWay(r.path, f) },
  down: {
    invert: invertFile,
    settled: (c) => (c.action === "delete" ? { exists: false } : c.action === "create" || c.action === "update" ? fileState(c.after ?? {}) : undefined),
    observed: (f) => (!f.exists ? { exists: false } : f.fileType !== "regular file" ? { exists: true, fileType: f.fileType } : fileState(f as unknown as Rec)),
  },
  contentPath: (r) => r.path,
  formatDiff(c, paint) {
    if (c.action === "delete" || c.action === "run") return [];
    const r = c.resource as FileRes | undefined;
    // The declared content, else what `after` carries (a down change restoring text from a backup).
    if (r?.contentSource) return [paint(2, `    (${r.contentSource.size} bytes from ${r.contentSource.path}, sha256 ${r.contentSource.sha256.slice(0, 12)}…; not shown)`)];
    const newText = r?.content ?? (r?.contentBase64 !== undefined ? binarySummary(r.contentBase64) : contentText(c.after));
    return contentDiff(c.before, newText, c.after?.sha256, paint);
  },
  render: (r) => (r.contentSource ? undefined : (r.content ?? Buffer.from(r.contentBase64 ?? "", "base64").toString("latin1"))),
  describe: (r) => `${r.mode.toString(8).padStart(4, "0")} ${r.owner}:${r.group}`,
});

/** What a file change writes: a down plan's backup, else the declared content (text, bytes, or a large source streamed from the controller). */
function filePayload(c: KindChange<FileRes>): Payload {
  const r = c.resource!;
  return backupPayload(c.after?.content) ?? (r.contentSource ? { source: r.contentSource } : r.content !== undefined ? { text: r.content } : { base64: r.contentBase64 ?? "" });
}

function metaOfRes(r: { mode: number; owner: string; group: string; unsafeParents?: boolean }) {
  return { mode: r.mode, owner: r.owner, group: r.group, ...(r.unsafeParents ? { unsafeParents: true } : {}) };
}

/** What a re-read can confirm of a file: its hash, owner, group and mode. */
function fileState(x: Rec): Rec {
  return { exists: true, sha256: x.sha256, owner: x.owner, group: x.group, mode: x.mode };
}

/** The content a file resource declares, for the `before` of a down change (diffs in the formatted plan). */
function declaredContent(r: FileRes): Rec {
  return r.content !== undefined ? { content: r.content } : r.contentBase64 !== undefined ? { contentBase64: r.contentBase64 } : {};
}

function invertFile(c: KindChange<FileRes>, ctx: { backups: Readonly<Record<string, BackupId>> }): Inverse {
  const r = c.resource!;
  const b = (c.before ?? {});
  const a = (c.after ?? {});
  const backup = ctx.backups[c.key];
  if (c.action === "create") return deleteCreated(c, r, { ...a, ...declaredContent(r) });
  if (b.exists && b.fileType !== "regular file") return { warning: `${c.key}: was a ${String(b.fileType)} before the up plan; not restored` };
  const prev: Rec | undefined = backup ? {} : b.content !== undefined ? { content: b.content } : b.contentBase64 !== undefined ? { contentBase64: b.contentBase64 } : undefined;
  if (!prev) {
    const why = typeof b.contentHidden === "string" ? `was not kept in the plan (${b.contentHidden})` : `(${String(b.size ?? "?")} bytes) is too large to keep in a plan`;
    return { warning: `${c.key}: its previous content ${why} and no tracked run backed it up; not restored` };
  }
  const meta = metaOf(b);
  const resource: FileRes = { ...withoutContent(r), ...(prev as { content?: string; contentBase64?: string }), ...meta };
  const after: Rec = { sha256: backup?.sha256 ?? b.sha256, ...meta, ...(backup ? { content: backupRef(backup) } : {}) };
  const from = backup ? ` from the backup of run ${backup.run}` : "";
  if (c.action === "delete") return { change: { ...sameKey(c), action: "create", reason: `recreate the deleted file${from}`, before: { exists: false }, after, resource } };
  return { change: { ...sameKey(c), action: "update", reason: `restore previous ${aspects(a, b).join(", ") || "state"}${from}`, before: { exists: true, ...a, ...declaredContent(r) }, after, resource } };
}
