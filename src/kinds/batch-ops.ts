/**
 * Batched ops shared by the file-like kinds (file, env_file, unit files) and directories: many writes
 * as one WRITE_FILES program per chunk, many directories as one MAKE_DIRS program per chunk. Each op
 * says which changes it covers and reads how many it completed from the program's `ok` lines.
 */
import type { BatchOp, Op, Payload, ProbeOutput } from "../model/kind.ts";
import { text } from "../targets/runner.ts";
import { MAKE_DIRS, WRITE_FILES } from "./scripts-batch.ts";

export interface WriteItem {
  /** Index of the change (in the list given to opsBatch). */
  index: number;
  /** What writing it is called for this change (e.g. "write file /etc/x"). */
  label: string;
  path: string;
  payload: Payload;
  mode: number;
  owner: string;
  group: string;
  unsafeParents?: boolean;
}

export interface DirItem {
  index: number;
  path: string;
  mode: number;
  owner: string;
  group: string;
  unsafeParents?: boolean;
}

/**
 * Per op at most this many files, bytes of arguments and bytes of content: an op is one step for
 * Ctrl-C (the applier stops between ops) and the content of small payloads is held while it runs. On a
 * live host a remote session reads the command line byte by byte, so ops stay small; an offline root is
 * written by a local process (arguments up to the kernel's limit), where bigger ops mean bigger groups
 * (files of one directory), i.e. fewer processes.
 */
const LIMITS = {
  live: { files: 1000, args: 96 * 1024, content: 1 << 20 },
  root: { files: 20_000, args: 1 << 20, content: 8 << 20 },
};
/** Sum of the `ok` lines a MAKE_DIRS run printed. */
export function okCount(out: ProbeOutput): number {
  return text(out.stdout).split("\n").filter((l) => l === "ok").length;
}

/** How many files, in plan order (SEQ 0, 1, …), a WRITE_FILES run put in place before its first gap. */
export function okPrefix(out: ProbeOutput): number {
  const done = new Set<number>();
  for (const line of text(out.stdout).split("\n")) if (line.startsWith("ok ")) for (const s of line.slice(3).split(" ")) done.add(Number(s));
  let n = 0;
  while (done.has(n)) n++;
  return n;
}

function split(path: string): [string, string] {
  const at = path.lastIndexOf("/");
  return [path.slice(0, at) || "/", path.slice(at + 1)];
}

/** Bytes a payload puts on stdin, as far as is known before it is resolved (for op sizes only). */
function roughSize(p: Payload): number {
  if ("text" in p) return p.text.length;
  if ("base64" in p) return (p.base64.length * 3) >> 2;
  if ("source" in p) return p.source.size;
  return 512;
}

/**
 * Writes as WRITE_FILES ops. Each op takes the next files in plan order (so a failure stops the batch
 * where one-by-one would have stopped); within an op, files sharing a parent directory, owner, group,
 * mode and trust form one group (one walk, one archive, one rename).
 */
export function writeFilesOps(items: readonly WriteItem[], root: string | undefined): BatchOp[] {
  const max = root ? LIMITS.root : LIMITS.live;
  const ops: BatchOp[] = [];
  for (let at = 0; at < items.length; ) {
    const part: WriteItem[] = [];
    let args = 0;
    let content = 0;
    while (at < items.length && (part.length === 0 || (part.length < max.files && args < max.args && content + roughSize(items[at]!.payload) <= max.content))) {
      const it = items[at++]!;
      part.push(it);
      args += it.path.length + 40;
      content += roughSize(it.payload);
    }
    ops.push(writeFilesOp(part, root));
  }
  return ops;
}

function writeFilesOp(part: readonly WriteItem[], root: string | undefined): BatchOp {
  const groups = new Map<string, { dir: string; meta: string[]; files: { base: string; seq: number; item: WriteItem }[] }>();
  part.forEach((it, seq) => {
    const [dir, base] = split(it.path);
    const meta = [it.mode.toString(8), it.owner, it.group, it.unsafeParents ? "1" : "0"];
    const key = JSON.stringify([dir, ...meta]);
    const g = groups.get(key) ?? { dir, meta, files: [] };
    g.files.push({ base, seq, item: it });
    groups.set(key, g);
  });
  const argv: string[] = [];
  const archives: { name: string; mode: number; payload: Payload }[][] = [];
  // Groups of one directory adjacent (the program sweeps a directory's leftovers after its last group).
  for (const g of [...groups.values()].sort((x, y) => (x.dir < y.dir ? -1 : x.dir > y.dir ? 1 : 0))) {
    argv.push(g.dir, ...g.meta, String(g.files.length), ...g.files.flatMap((f) => [f.base, String(f.seq)]));
    archives.push(g.files.map((f) => ({ name: f.base, mode: f.item.mode, payload: f.item.payload })));
  }
  const dirs = [...groups.values()].map((g) => g.dir);
  const label = `write ${part.length} file${part.length === 1 ? "" : "s"} in ${new Set(dirs).size === 1 ? dirs[0] : `${new Set(dirs).size} directories`}`;
  return { label, argv: ["sh", "-c", WRITE_FILES, "hostkit-write-files", root ?? "", ...argv], stdin: { archives }, covers: part.map((it) => it.index), completed: okPrefix, labelOf: (i) => part[i]?.label ?? label };
}

/** Directories as MAKE_DIRS ops (in the given order: a batch holds no directory that requires another). */
export function makeDirsOps(items: readonly DirItem[], root: string | undefined): BatchOp[] {
  const max = root ? LIMITS.root : LIMITS.live;
  const ops: BatchOp[] = [];
  for (let at = 0; at < items.length; ) {
    const part: DirItem[] = [];
    let bytes = 0;
    while (at < items.length && part.length < max.files && bytes < max.args) {
      bytes += items[at]!.path.length + 32;
      part.push(items[at++]!);
    }
    const argv = part.flatMap((d) => [d.path, d.mode.toString(8), d.owner, d.group, d.unsafeParents ? "1" : "0"]);
    const label = `create or update ${part.length} director${part.length === 1 ? "y" : "ies"}`;
    ops.push({ label, argv: ["sh", "-c", MAKE_DIRS, "hostkit-mkdirs", root ?? "", ...argv], covers: part.map((d) => d.index), completed: okCount });
  }
  return ops;
}

/**
 * A kind's `opsBatch` from two parts: the write a change makes (batched with the others'), or, for a
 * change that writes nothing batchable (a removal), its own ops, run after the batched writes.
 */
export function batchWrites<C>(changes: readonly C[], root: string | undefined, writeOf: (c: C, index: number) => WriteItem | undefined, opsOf: (c: C) => Op[]): BatchOp[] {
  const items: WriteItem[] = [];
  const rest: BatchOp[] = [];
  changes.forEach((c, i) => {
    const w = writeOf(c, i);
    if (w) items.push(w);
    else rest.push(...opsOf(c).map((o) => ({ ...o, covers: [i] })));
  });
  return [...writeFilesOps(items, root), ...rest];
}
