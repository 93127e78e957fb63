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

export const STAT_FORMAT = "%F|%a|%u|%g|%U|%G|%s";

export function statProbe(path: string): string[] {
  return ["stat", "-c", STAT_FORMAT, "--", path];
}

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();

/** One `stat` for many paths: `NAME\0INFO\0` per path that exists (missing ones only complain on stderr). */
export function statManyProbe(paths: readonly string[]): string[] {
  return ["stat", "--printf", `%n\\0${STAT_FORMAT}\\0`, "--", ...paths];
}

/** The output of `statManyProbe` → what `statProbe(path)` prints for each path. */
export function splitStatMany(paths: readonly string[], out: ProbeOutput | undefined): ProbeOutput[] {
  const info = new Map<string, string>();
  const parts = out ? Buffer.from(out.stdout).toString("utf8").split("\0") : [];
  for (let i = 0; i + 1 < parts.length; i += 2) info.set(parts[i]!, parts[i + 1]!);
  return paths.map((p) => {
    const line = info.get(p);
    return line === undefined ? { code: 1, stdout: EMPTY, stderr: enc.encode(`stat: cannot statx '${p}': No such file or directory\n`) } : { code: 0, stdout: enc.encode(`${line}\n`), stderr: EMPTY };
  });
}

/** An id's name: offline trees resolve through the tree's own passwd/group (root is always 0). */
function idName(byId: Map<number, string>, id: string, shown: string, ctx: TargetCtx): string {
  if (ctx.root) return byId.get(Number(id)) ?? (id === "0" ? "root" : id);
  return shown === "UNKNOWN" ? id : shown;
}

export function parseStat(out: ProbeOutput | undefined, facts: HostFacts, ctx: TargetCtx): PathStat {
  if (!out || out.code !== 0) return { exists: false };
  const [fileType, mode, uid, gid, uname, gname, size] = text(out.stdout).replace(/\n$/, "").split("|");
  return {
    exists: true,
    fileType: fileType!,
    mode: parseInt(mode!, 8),
    owner: idName(facts.userById, uid!, uname!, ctx),
    group: idName(facts.groupById, gid!, gname!, ctx),
    size: Number(size),
  };
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
