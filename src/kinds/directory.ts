/** `directory`: exists, with owner, group and mode. */
import * as v from "valibot";
import { AbsPath, BASE, RollbackSchema } from "../model/resource.ts";
import { aspects, metaOf, sameKey, type Rec } from "./inverse.ts";
import { MAKE_DIR } from "./scripts.ts";
import { metaDiffs, parseStat, splitStatMany, statManyProbe, statProbe, type PathStat } from "./stat.ts";
import { defineKind, onTarget, type Inverse , type KindChange } from "../model/kind.ts";
import { removeOp } from "./file.ts";
import { makeDirsOps, type DirItem } from "./batch-ops.ts";
import type { BatchOp } from "../model/kind.ts";

export const DirectorySchema = v.strictObject({
  ...BASE,
  type: v.literal("directory"),
  path: AbsPath,
  owner: v.string(),
  group: v.string(),
  mode: v.number(),
  /** Live hosts: allow parents owned by another non-root user (see the DSL option). */
  unsafeParents: v.optional(v.boolean()),
  /** Storage declared with `backup: true`: what `hostkit backup` copies off the host. */
  backup: v.optional(v.boolean()),
  rollback: RollbackSchema,
});
export type Directory = v.InferOutput<typeof DirectorySchema>;

type DirMeta = { owner: string; group: string; mode: number };

export const directory = defineKind<Directory, PathStat>({
  type: "directory",
  schema: DirectorySchema,
  probe: (r, ctx) => [statProbe(onTarget(ctx, r.path))],
  probeBatch(rs, ctx) {
    const paths = rs.map((r) => onTarget(ctx, r.path));
    return { cmds: [statManyProbe(paths)], split: (out) => splitStatMany(paths, out[0]).map((o) => [o]) };
  },
  parse: (_r, out, facts, ctx) => parseStat(out[0], facts, ctx),
  diff(r, st) {
    const after = { path: r.path, owner: r.owner, group: r.group, mode: r.mode };
    if (!st.exists) return { action: "create", reason: "directory does not exist", before: { exists: false }, after };
    const before = { exists: true, fileType: st.fileType, owner: st.owner, group: st.group, mode: st.mode };
    if (st.fileType !== "directory") return { action: "update", reason: `is a ${st.fileType}, not a directory`, before, after };
    const why = metaDiffs(st, r);
    return why.length ? { action: "update", reason: why.join(", "), before, after } : { action: "noop", reason: "directory matches", before, after };
  },
  ops(change, ctx) {
    const r = change.resource!;
    if (change.action === "delete") {
      // rollback "delete": with its contents (rm -r never follows links below it); otherwise only while empty.
      if (r.rollback === "delete") return [removeOp(`remove directory ${r.path} and its contents`, r.path, "tree", r, ctx.root)];
      return [removeOp(`remove directory ${r.path} (if empty)`, r.path, "dir", r, ctx.root)];
    }
    const a = change.after as DirMeta;
    return [{ label: `${change.action} directory ${r.path}`, argv: ["sh", "-c", MAKE_DIR, "hostkit-mkdir", r.path, a.mode.toString(8), a.owner, a.group, ctx.root ?? "", r.unsafeParents ? "1" : "0"] }];
  },
  opsBatch(changes, ctx) {
    const items: DirItem[] = [];
    const rest: BatchOp[] = [];
    changes.forEach((c, index) => {
      const r = c.resource!;
      if (c.action === "delete") rest.push(...directory.ops(c, ctx).map((o) => ({ ...o, covers: [index] })));
      else items.push({ index, path: r.path, ...(c.after as DirMeta), ...(r.unsafeParents ? { unsafeParents: true } : {}) });
    });
    return [...makeDirsOps(items, ctx.root), ...rest];
  },
  writes: (r) => ({ path: r.path, owner: r.owner, trust: !!r.unsafeParents }),
  needs: (r) => ({ users: [r.owner], groups: [r.group] }),
  // mkdir cannot turn another object into a directory: refused in the plan, not half-way through the apply.
  check: { problems: (r, st) => (st.exists && st.fileType !== "directory" ? [`a ${st.fileType} exists at ${r.path}, where a directory is declared: HostKit does not replace it`] : []) },
  down: {
    invert: invertDirectory,
    settled: (c) => (c.action === "delete" ? { exists: false } : c.action === "create" || c.action === "update" ? dirState(c.after ?? {}) : undefined),
    observed: (f) => (!f.exists ? { exists: false } : { ...dirState(f as unknown as Rec), directory: f.fileType === "directory" }),
  },
  describe: (r) => `${r.mode.toString(8).padStart(4, "0")} ${r.owner}:${r.group}`,
});

function dirState(x: Rec): Rec {
  return { exists: true, directory: true, owner: x.owner, group: x.group, mode: x.mode };
}

/**
 * Rollback policies of a directory the up plan created: "keep" keeps it; "delete_if_created" removes
 * it only while it is still empty (`rmdir`: whatever was put in it since stays, and the step fails
 * saying so); "delete" removes it with everything in it.
 */
function invertDirectory(c: KindChange<Directory>): Inverse {
  const r = c.resource!;
  const b = (c.before ?? {});
  const a = (c.after ?? {});
  if (c.action === "create") {
    if (r.rollback === "keep") return { kept: `${c.key} (rollback: "keep")` };
    const how = r.rollback === "delete" ? "removed with its contents" : "removed only if empty";
    return { change: { ...sameKey(c), action: "delete", reason: `created by the up plan (rollback: "${r.rollback}": ${how})`, before: { exists: true, ...a }, after: { exists: false }, resource: r } };
  }
  if (b.fileType !== "directory") return { warning: `${c.key}: was a ${String(b.fileType ?? "missing path")} before the up plan; not restored` };
  const meta = metaOf(b);
  const action = c.action === "delete" ? "create" : "update";
  return { change: { ...sameKey(c), action, reason: action === "create" ? "recreate the deleted directory" : `restore previous ${aspects(a, b).join(", ") || "state"}`, before: action === "create" ? { exists: false } : { exists: true, ...a }, after: { path: r.path, ...meta }, resource: { ...r, ...meta } } };
}
