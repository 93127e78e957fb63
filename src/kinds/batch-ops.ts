/**
 * Batched ops shared by the file-like kinds (file, env_file, unit files) and directories: many writes
 * as one WRITE_FILES program per chunk, many directories as one MAKE_DIRS program per chunk. Each op
 * says which changes it covers and reads how many it completed from the program's `ok` lines.
 */
import type { BatchOp, Op, Payload, ProbeOutput } from "../model/kind.ts";
import { text } from "../targets/runner.ts";
import { MAKE_DIRS, WRITE_FILES } from "./scripts.ts";

export interface WriteItem {
  /** Index of the change (in the list given to opsBatch). */
  index: number;
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

/** Per op at most this many files, and this many bytes of arguments (a remote session reads its command line byte by byte). */
const MAX_FILES = 1000;
const MAX_ARG_BYTES = 96 * 1024;

/** Sum of the `ok N` lines a WRITE_FILES / MAKE_DIRS run printed (a bare `ok` counts 1). */
export function okCount(out: ProbeOutput): number {
  let n = 0;
  for (const line of text(out.stdout).split("\n")) {
    const m = /^ok(?: (\d+))?$/.exec(line);
    if (m) n += m[1] === undefined ? 1 : Number(m[1]);
  }
  return n;
}

function split(path: string): [string, string] {
  const at = path.lastIndexOf("/");
  return [path.slice(0, at) || "/", path.slice(at + 1)];
}

/**
 * Writes as WRITE_FILES ops: files sharing a parent directory, owner, group, mode and trust form one
 * group (one walk, one archive, one rename); groups are packed into ops of bounded size.
 */
export function writeFilesOps(items: readonly WriteItem[], root: string | undefined): BatchOp[] {
  const groups = new Map<string, { dir: string; meta: string[]; files: { base: string; item: WriteItem }[] }>();
  for (const it of items) {
    const [dir, base] = split(it.path);
    const meta = [it.mode.toString(8), it.owner, it.group, it.unsafeParents ? "1" : "0"];
    const key = JSON.stringify([dir, ...meta]);
    const g = groups.get(key) ?? { dir, meta, files: [] };
    g.files.push({ base, item: it });
    groups.set(key, g);
  }
  const ops: BatchOp[] = [];
  let argv: string[] = [];
  let covers: number[] = [];
  let archives: { name: string; payload: Payload }[][] = [];
  let bytes = 0;
  let dirs = new Set<string>();
  const flush = () => {
    if (!covers.length) return;
    const label = `write ${covers.length} file${covers.length === 1 ? "" : "s"} in ${dirs.size === 1 ? [...dirs][0] : `${dirs.size} directories`}`;
    ops.push({ label, argv: ["sh", "-c", WRITE_FILES, "hostkit-write-files", root ?? "", ...argv], stdin: { archives }, covers, completed: okCount });
    argv = [];
    covers = [];
    archives = [];
    bytes = 0;
    dirs = new Set();
  };
  for (const g of groups.values()) {
    for (let at = 0; at < g.files.length; ) {
      if (covers.length >= MAX_FILES || bytes >= MAX_ARG_BYTES) flush();
      // As many of this group's files as fit in the current op (at least one).
      const part: typeof g.files = [];
      let size = g.dir.length + 32;
      while (at < g.files.length && (part.length === 0 || (covers.length + part.length < MAX_FILES && bytes + size + g.files[at]!.base.length < MAX_ARG_BYTES))) {
        size += g.files[at]!.base.length + 1;
        part.push(g.files[at++]!);
      }
      argv.push(g.dir, ...g.meta, String(part.length), ...part.map((f) => f.base));
      archives.push(part.map((f) => ({ name: f.base, payload: f.item.payload })));
      covers.push(...part.map((f) => f.item.index));
      bytes += size;
      dirs.add(g.dir);
    }
  }
  flush();
  return ops;
}

/** Directories as MAKE_DIRS ops (in the given order: a batch holds no directory that requires another). */
export function makeDirsOps(items: readonly DirItem[], root: string | undefined): BatchOp[] {
  const ops: BatchOp[] = [];
  for (let at = 0; at < items.length; ) {
    const part: DirItem[] = [];
    let bytes = 0;
    while (at < items.length && part.length < MAX_FILES && bytes < MAX_ARG_BYTES) {
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
