/** `directory`: exists, with owner, group and mode. */
import type { Directory } from "../model/resource.ts";
import { MAKE_DIR } from "./scripts.ts";
import { metaDiffs, parseStat, splitStatMany, statManyProbe, statProbe, type PathStat } from "./stat.ts";
import { onTarget, type Kind } from "./types.ts";
import { removeOp } from "./file.ts";

export const directory: Kind<Directory, PathStat> = {
  type: "directory",
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
    const r = change.resource as Directory;
    if (change.action === "delete") return [removeOp(`remove directory ${r.path} (if empty)`, r.path, "dir", r, ctx.root)];
    const a = change.after as { owner: string; group: string; mode: number };
    return [{ label: `${change.action} directory ${r.path}`, argv: ["sh", "-c", MAKE_DIR, "hostkit-mkdir", r.path, a.mode.toString(8), a.owner, a.group, ctx.root ?? "", r.unsafeParents ? "1" : "0"] }];
  },
};
