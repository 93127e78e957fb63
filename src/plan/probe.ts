/**
 * Reading a host: every probe of every resource, plus the host facts, in ONE batched script and
 * ONE round trip. Returns each resource's fact and the digest it was read as (its basis), and the
 * paths the fixed programs would refuse to write (links, foreign-owned parents: ./path-safety.ts).
 */
import { HostKitError, type Diagnostic } from "../model/errors.ts";
import { guardsOf, pathSafetyProbe, unsafePaths } from "./path-safety.ts";
import { resourceKey, type Resource } from "../model/resource.ts";
import { byKind, kindOf } from "../kinds/registry.ts";
import type { FactDef, HostFacts, ProbeOutput, TargetCtx } from "../model/kind.ts";
import { batchScript, parseBatch } from "../targets/shell.ts";
import { text, type Runner } from "../targets/runner.ts";
import { digest } from "./digest.ts";
import { factsProbe, parseFacts } from "./facts.ts";

export interface Observed {
  resource: Resource;
  fact: unknown;
  basis: string;
}

/** Resources per batched probe command: keeps every command line far below the kernel's argv limit. */
const BATCH_BYTES = 128 * 1024;
const BATCH_MAX = 500;

export async function probeAll(resources: readonly Resource[], runner: Runner, ctx: TargetCtx, extraFacts: readonly FactDef[] = [], withChecks = false): Promise<{ facts: HostFacts; observed: Observed[]; unsafe: Diagnostic[]; checks: Map<string, ProbeOutput[]> }> {
  const guards = guardsOf(resources, ctx);
  const safety = pathSafetyProbe(guards, ctx);
  const cmds: string[][] = [...factsProbe(ctx), ...safety];
  // Host facts the selected kinds contribute (os-release, package state…): once per host, in the same round trip.
  const contributed = [...new Map([...extraFacts, ...resources.flatMap((r) => kindOf(r.type)?.facts ?? [])].map((f) => [f.name, f])).values()].map((def) => {
    const probes = def.probe(ctx);
    const at = { def, from: cmds.length, to: cmds.length + probes.length };
    cmds.push(...probes);
    return at;
  });
  // Plan-time check commands (src/plan/validate.ts), once per kind over all its resources.
  const checkAt: { type: string; from: number; to: number }[] = [];
  for (const [type, rs] of byKind(resources, (k) => withChecks && k.check?.probe)) {
    const probes = kindOf(type)!.check!.probe!(rs, ctx);
    checkAt.push({ type, from: cmds.length, to: cmds.length + probes.length });
    cmds.push(...probes);
  }
  const perResource: ProbeOutput[][] = new Array(resources.length);
  const splits: { from: number; to: number; indexes: number[]; split: (out: ProbeOutput[]) => ProbeOutput[][] }[] = [];
  const singles: { index: number; from: number; to: number }[] = [];
  // Kinds that batch read all their resources with a few commands per chunk; the others one probe each.
  const batched = new Map<string, number[]>();
  resources.forEach((r, i) => {
    const kind = kindOf(r.type);
    if (kind?.probeBatch) {
      const list = batched.get(r.type);
      if (list) list.push(i);
      else batched.set(r.type, [i]);
    } else {
      const probes = kind ? kind.probe(r, ctx) : [];
      singles.push({ index: i, from: cmds.length, to: cmds.length + probes.length });
      cmds.push(...probes);
    }
  });
  for (const [type, indexes] of batched) {
    const kind = kindOf(type)!;
    let chunk: number[] = [];
    let bytes = 0;
    const flush = () => {
      if (!chunk.length) return;
      const b = kind.probeBatch!(chunk.map((i) => resources[i]!), ctx);
      splits.push({ from: cmds.length, to: cmds.length + b.cmds.length, indexes: chunk, split: b.split });
      cmds.push(...b.cmds);
      chunk = [];
      bytes = 0;
    };
    for (const i of indexes) {
      const size = kind.probe(resources[i]!, ctx).reduce((n, argv) => n + argv.reduce((m, a) => m + a.length + 1, 0), 0);
      if (chunk.length >= BATCH_MAX || bytes + size > BATCH_BYTES) flush();
      chunk.push(i);
      bytes += size;
    }
    flush();
  }
  const res = await runner.exec(["sh", "-s"], { stdin: batchScript(cmds) });
  let outs;
  try {
    outs = parseBatch(res.stdout);
  } catch (e) {
    throw new HostKitError({ subject: runner.description, message: `could not read the host: ${(e as Error).message}${res.stderr.length ? `\n  ${text(res.stderr).trim()}` : ""}` });
  }
  if (outs.length !== cmds.length) {
    throw new HostKitError({ subject: runner.description, message: `reading the host stopped after ${outs.length} of ${cmds.length} probes (exit ${res.code}): ${text(res.stderr).trim()}` });
  }
  const facts = parseFacts(outs.slice(0, 2));
  const unsafe = unsafePaths(guards, outs.slice(2, 2 + safety.length), facts, ctx);
  for (const c of contributed) facts.extra.set(c.def.name, c.def.parse(outs.slice(c.from, c.to), ctx));
  // Kinds that complete what they know with the host's facts (package names need its repository).
  for (const [type, rs] of byKind(resources, (k) => k.resolve)) facts.extra.set(`resolved:${type}`, await kindOf(type)!.resolve!(rs, facts, ctx));
  for (const s of singles) perResource[s.index] = outs.slice(s.from, s.to);
  for (const b of splits) b.split(outs.slice(b.from, b.to)).forEach((o, k) => (perResource[b.indexes[k]!] = o));
  const observed = resources.map((r, i) => {
    const kind = kindOf(r.type);
    const fact = kind ? kind.parse(r, perResource[i] ?? [], facts, ctx) : null;
    const basisData = kind?.basis ? kind.basis(fact) : fact;
    return { resource: r, fact, basis: digest({ key: resourceKey(r), fact: basisData }) };
  });
  const checks = new Map(checkAt.map((c) => [c.type, outs.slice(c.from, c.to)]));
  return { facts, observed, unsafe, checks };
}
