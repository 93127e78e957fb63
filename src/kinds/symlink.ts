/**
 * `symlink`: a symbolic link at a path, pointing at a target (stored as written). Read with `find
 * -printf` (the link itself, never followed); made with a temp link renamed over the path, so a
 * link there is replaced and a directory there is refused. Down plans delete a link they created and
 * point an updated one back at its previous target.
 *
 * The kind that proves the registry: this file, one line in registry.ts, and its DSL method.
 */
import * as v from "valibot";
import { AbsPath, BASE, RollbackSchema } from "../model/resource.ts";
import { defineKind, onTarget, type InvertCtx, type Inverse, type KindChange } from "../model/kind.ts";
import { text } from "../targets/runner.ts";
import { SET_SYMLINK } from "./scripts.ts";
import { removeOp } from "./file.ts";
import { deleteCreated, sameKey, type Rec } from "./inverse.ts";

export const SymlinkSchema = v.strictObject({
  ...BASE,
  type: v.literal("symlink"),
  path: AbsPath,
  /** What the link points at, as written (absolute, or relative to the link's directory). */
  target: v.string(),
  unsafeParents: v.optional(v.boolean()),
  rollback: RollbackSchema,
});
export type Symlink = v.InferOutput<typeof SymlinkSchema>;

/** Options of `p.symlink(path, { … })` (validated when the infra file loads). */
export interface SymlinkOptions {
  /** What the link points at: an absolute path, or one relative to the link's directory. @example target: "/opt/app/releases/42" */
  target: string;
  /** Live hosts: write even below a parent owned by another non-root user (see directory). @example unsafeParents: true */
  unsafeParents?: boolean;
  /** Down plans remove a link they created unless "keep". @example rollback: "keep" */
  rollback?: "keep" | "delete" | "delete_if_created";
}

export const SymlinkOptionsSchema = v.strictObject({
  target: v.pipe(v.string(), v.minLength(1, "must not be empty"), v.regex(/^[^\0-\x1f\x7f]*$/, "must not contain control characters (newline, NUL…)")),
  unsafeParents: v.optional(v.boolean()),
  rollback: v.optional(RollbackSchema),
});

export interface SymlinkFact {
  exists: boolean;
  /** `find -printf %y`: "l" for a link, "f" file, "d" directory… */
  fileType?: string;
  /** The link's text (empty when it is not a link). */
  target?: string;
}

const TYPE_NAME: Record<string, string> = { f: "regular file", d: "directory", l: "symbolic link" };

/** One `find` for one path: its type letter and link text, NUL-separated (names may hold newlines). */
function findProbe(paths: string[]): string[] {
  return ["find", ...paths, "-maxdepth", "0", "-printf", "%p\\0%y\\0%l\\0"];
}

function parseFind(out: Uint8Array): Map<string, { y: string; l: string }> {
  const parts = text(out).split("\0");
  const m = new Map<string, { y: string; l: string }>();
  for (let i = 0; i + 2 < parts.length; i += 3) m.set(parts[i]!, { y: parts[i + 1]!, l: parts[i + 2]! });
  return m;
}

const enc = new TextEncoder();

export const symlink = defineKind<Symlink, SymlinkFact>({
  type: "symlink",
  schema: SymlinkSchema,
  probe: (r, ctx) => [findProbe([onTarget(ctx, r.path)])],
  probeBatch(rs, ctx) {
    const paths = rs.map((r) => onTarget(ctx, r.path));
    return {
      cmds: [findProbe([...new Set(paths)])],
      split(out) {
        const all = parseFind(out[0]?.stdout ?? new Uint8Array());
        return paths.map((p) => {
          const f = all.get(p);
          return [f ? { code: 0, stdout: enc.encode(`${p}\0${f.y}\0${f.l}\0`), stderr: new Uint8Array() } : { code: 1, stdout: new Uint8Array(), stderr: enc.encode(`find: '${p}': No such file or directory\n`) }];
        });
      },
    };
  },
  parse(r, out, _facts, ctx) {
    const f = out[0]?.code === 0 ? parseFind(out[0].stdout).get(onTarget(ctx, r.path)) : undefined;
    if (!f) return { exists: false };
    return { exists: true, fileType: f.y, ...(f.y === "l" ? { target: f.l } : {}) };
  },
  diff(r, f) {
    const after = { target: r.target };
    if (!f.exists) return { action: "create", reason: "link does not exist", before: { exists: false }, after };
    const before = { exists: true, fileType: f.fileType, ...(f.target !== undefined ? { target: f.target } : {}) };
    if (f.fileType !== "l") return { action: "update", reason: `is a ${TYPE_NAME[f.fileType ?? ""] ?? f.fileType}, not a symbolic link`, before, after };
    if (f.target !== r.target) return { action: "update", reason: `points at ${f.target}, not ${r.target}`, before, after };
    return { action: "noop", reason: "link matches", before, after };
  },
  ops(change, ctx) {
    const r = change.resource!;
    if (change.action === "delete") return [removeOp(`remove link ${r.path}`, r.path, "file", { owner: "root", ...(r.unsafeParents ? { unsafeParents: true } : {}) }, ctx.root)];
    const target = String((change.after as Rec | undefined)?.target ?? r.target);
    return [{ label: `link ${r.path} → ${target}`, argv: ["sh", "-c", SET_SYMLINK, "hostkit-symlink", r.path, target, ctx.root ?? "", r.unsafeParents ? "1" : "0"] }];
  },
  writes: (r) => ({ path: r.path, owner: "root", trust: !!r.unsafeParents, linkOk: true }),
  // The link is renamed over what is there, which cannot be a directory (the apply refuses it too).
  check: { problems: (r, f) => (f.exists && f.fileType === "d" ? [`a directory exists at ${r.path}, where a symbolic link is declared: HostKit does not replace it`] : []) },
  down: {
    invert: invertSymlink,
    settled: (c) => (c.action === "delete" ? { exists: false } : c.action === "create" || c.action === "update" ? { exists: true, target: c.after?.target } : undefined),
    observed: (f) => (f.exists ? { exists: true, target: f.fileType === "l" ? f.target : undefined } : { exists: false }),
  },
  formatDiff: (c) => (c.action === "create" || c.action === "update" ? [`→ ${String(c.after?.target)}${c.before?.target !== undefined ? ` (was → ${String(c.before.target)})` : ""}`] : []),
  render: (r) => `${r.path} -> ${r.target}\n`,
  describe: (r) => `→ ${r.target}`,
  compile: ({ id, opts }, scope) => ({
    source: scope.source,
    ...(scope.service ? { service: scope.service } : {}),
    type: "symlink",
    id,
    path: id,
    target: String(opts.target),
    ...(opts.unsafeParents ? { unsafeParents: true } : {}),
    rollback: (opts.rollback as Symlink["rollback"] | undefined) ?? "delete",
  }),
});

/** Created: removed (unless kept); updated: pointed back at its previous target; a non-link before is not restored. */
function invertSymlink(c: KindChange<Symlink>, _ctx: InvertCtx): Inverse {
  const r = c.resource!;
  const b = c.before ?? {};
  if (c.action === "create") return deleteCreated(c, r, { target: r.target });
  if (c.action === "delete") return typeof b.target === "string" ? { change: { ...sameKey(c), action: "create", reason: "recreate the deleted link", before: { exists: false }, after: { target: b.target }, resource: { ...r, target: b.target } } } : { warning: `${c.key}: its previous target was not recorded; not recreated` };
  if (b.fileType !== "l" || typeof b.target !== "string") return { warning: `${c.key}: was a ${TYPE_NAME[String(b.fileType)] ?? String(b.fileType)} before the up plan; not restored` };
  return { change: { ...sameKey(c), action: "update", reason: `point back at ${b.target}`, before: { exists: true, fileType: "l", target: r.target }, after: { target: b.target }, resource: { ...r, target: b.target } } };
}
