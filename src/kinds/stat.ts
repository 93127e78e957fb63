/** @internal Reading a path's metadata: one `stat` probe, parsed the same way for every file-like kind. */
import { text } from "../targets/runner.ts";
import type { HostFacts, ProbeOutput, TargetCtx } from "./types.ts";

export interface PathStat {
  exists: boolean;
  /** "regular file", "directory", "symbolic link"… as stat prints it. */
  fileType?: string;
  mode?: number;
  owner?: string;
  group?: string;
  size?: number;
}

export function statProbe(path: string): string[] {
  return ["stat", "-c", "%F|%a|%u|%g|%U|%G|%s", "--", path];
}

export function parseStat(out: ProbeOutput | undefined, facts: HostFacts, ctx: TargetCtx): PathStat {
  if (!out || out.code !== 0) return { exists: false };
  const [fileType, mode, uid, gid, uname, gname, size] = text(out.stdout).trim().split("|");
  // Offline trees: names come from the tree's own passwd/group, not the controller's.
  const owner = ctx.root ? (facts.userById.get(Number(uid)) ?? uid!) : uname === "UNKNOWN" ? uid! : uname!;
  const group = ctx.root ? (facts.groupById.get(Number(gid)) ?? gid!) : gname === "UNKNOWN" ? gid! : gname!;
  return { exists: true, fileType: fileType!, mode: parseInt(mode!, 8), owner, group, size: Number(size) };
}

/** Differences in owner/group/mode as reason fragments: ["mode 0644 → 0640", "owner root → app"]. */
export function metaDiffs(have: PathStat, want: { owner: string; group: string; mode: number }): string[] {
  const out: string[] = [];
  const fmt = (m: number) => m.toString(8).padStart(4, "0");
  if (have.mode !== want.mode) out.push(`mode ${fmt(have.mode ?? 0)} → ${fmt(want.mode)}`);
  if (have.owner !== want.owner) out.push(`owner ${have.owner} → ${want.owner}`);
  if (have.group !== want.group) out.push(`group ${have.group} → ${want.group}`);
  return out;
}
