/**
 * The plan-time half of path safety: every path a resource would write is looked at (one `stat`
 * without following links, for all parents of all paths at once, in the probe's one round trip), and a
 * path that the fixed programs would refuse at apply time is refused in the plan, naming the resource,
 * its file:line and the offending component — rather than a plan that reads facts through a link (its
 * target's content, owner and mode) as if they were the declared path's, and plans a write there.
 * The apply-time programs (src/kinds/scripts.ts, WALK) re-check everything: this is the early, readable
 * refusal, not the enforcement.
 */
import type { Diagnostic } from "../model/errors.ts";
import type { Resource } from "../model/resource.ts";
import { resourceKey } from "../model/resource.ts";
import { onTarget, type HostFacts, type ProbeOutput, type TargetCtx } from "../model/kind.ts";
import { kindOf } from "../kinds/registry.ts";
import { text } from "../targets/runner.ts";

/** A path a resource writes, inside the target, with the owner its parents may have besides root. */
export interface Guard {
  subject: string;
  source?: Resource["source"];
  path: string;
  owner: string;
  /** `unsafeParents: true`: live hosts accept linked or foreign-owned parents. */
  trust: boolean;
  /** The declared object is itself a link (the symlink kind): a link at the last component is expected, not refused. */
  linkOk?: boolean;
}

export function guardsOf(resources: readonly Resource[], ctx: TargetCtx): Guard[] {
  const out: Guard[] = [];
  for (const r of resources) {
    const base = { subject: resourceKey(r), source: r.source };
    const w = kindOf(r.type)?.writes?.(r);
    if (w) out.push({ ...base, ...w });
  }
  // An offline tree's accounts are read from (and written to) its own etc/passwd and etc/group.
  if (ctx.root) for (const f of ["/etc/passwd", "/etc/group"]) out.push({ subject: `--root ${ctx.root}`, path: f, owner: "root", trust: false });
  return out;
}

/** Every path a guard walks: its parents (not `/`) and itself. */
function componentsOf(path: string): string[] {
  const parts = path.split("/").filter(Boolean);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
}

const CHUNK_BYTES = 96 * 1024;

/** `stat` (never following the last link) of every component of every guarded path, in chunks far below argv limits. */
export function pathSafetyProbe(guards: readonly Guard[], ctx: TargetCtx): string[][] {
  const all = [...new Set(guards.flatMap((g) => componentsOf(g.path)).map((p) => onTarget(ctx, p)))];
  const cmds: string[][] = [];
  let chunk: string[] = [];
  let bytes = 0;
  for (const p of all) {
    if (chunk.length && bytes + p.length > CHUNK_BYTES) {
      cmds.push(["stat", "--printf", "%n\\0%F|%u\\0", "--", ...chunk]);
      chunk = [];
      bytes = 0;
    }
    chunk.push(p);
    bytes += p.length + 1;
  }
  if (chunk.length) cmds.push(["stat", "--printf", "%n\\0%F|%u\\0", "--", ...chunk]);
  return cmds;
}

/** The outputs of `pathSafetyProbe` → one diagnostic per guard whose path would be refused. */
export function unsafePaths(guards: readonly Guard[], outs: readonly ProbeOutput[], facts: HostFacts, ctx: TargetCtx): Diagnostic[] {
  const info = new Map<string, { type: string; uid: string }>();
  for (const o of outs) {
    const parts = text(o.stdout).split("\0");
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const [type, uid] = parts[i + 1]!.split("|");
      info.set(parts[i]!, { type: type!, uid: uid! });
    }
  }
  const problems: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const g of guards) {
    const why = refusal(g, info, facts, ctx);
    if (!why || seen.has(`${g.subject}\0${why}`)) continue;
    seen.add(`${g.subject}\0${why}`);
    problems.push({
      subject: g.subject,
      ...(g.source ? { source: g.source } : {}),
      message: `refusing ${g.path}: ${why}`,
      hint: why.includes("owned by") ? "a user who owns a parent directory can swap what lies below it for a link while root writes; fix the owner, or opt in with unsafeParents: true" : "HostKit never writes through a symbolic link: remove the link, or declare the real path",
    });
  }
  return problems;
}

function refusal(g: Guard, info: Map<string, { type: string; uid: string }>, facts: HostFacts, ctx: TargetCtx): string | undefined {
  const comps = componentsOf(g.path);
  const ownerUid = /^\d+$/.test(g.owner) ? g.owner : String(facts.users.get(g.owner)?.uid ?? "");
  for (const [i, c] of comps.entries()) {
    const st = info.get(onTarget(ctx, c));
    if (!st) return undefined; // missing: created by the write, one component at a time
    const last = i === comps.length - 1;
    if (st.type === "symbolic link") {
      if (last) return g.linkOk ? undefined : "it is a symbolic link (HostKit neither writes through nor replaces links)";
      if (ctx.root || !g.trust) return `${c} is a symbolic link`;
      return undefined; // trusted on a live host: what lies beyond is the link's business
    }
    // A parent that is a regular file is no danger: the write fails there, as a failed change.
    if (last || st.type !== "directory") return undefined;
    if (!ctx.root && !g.trust && st.uid !== "0" && st.uid !== ownerUid) {
      return `${c} is owned by ${facts.userById.get(Number(st.uid)) ?? `uid ${st.uid}`}, neither root nor the declared owner ${g.owner}`;
    }
  }
  return undefined;
}
