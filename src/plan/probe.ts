/**
 * Reading a host: every probe of every resource, plus the host facts, in ONE batched script and
 * ONE round trip. Returns each resource's fact and the digest it was read as (its basis).
 */
import { HostKitError } from "../model/errors.ts";
import { resourceKey, type Resource } from "../model/resource.ts";
import { kindOf } from "../kinds/index.ts";
import type { HostFacts, TargetCtx } from "../kinds/types.ts";
import { batchScript, parseBatch } from "../targets/shell.ts";
import { text, type Runner } from "../targets/runner.ts";
import { digest } from "./digest.ts";
import { factsProbe, parseFacts } from "./facts.ts";

export interface Observed {
  resource: Resource;
  fact: unknown;
  basis: string;
}

export async function probeAll(resources: readonly Resource[], runner: Runner, ctx: TargetCtx): Promise<{ facts: HostFacts; observed: Observed[] }> {
  const cmds: string[][] = [...factsProbe(ctx)];
  const ranges: [number, number][] = [];
  for (const r of resources) {
    const kind = kindOf(r.type);
    const probes = kind ? kind.probe(r, ctx) : [];
    ranges.push([cmds.length, cmds.length + probes.length]);
    cmds.push(...probes);
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
  const observed = resources.map((r, i) => {
    const kind = kindOf(r.type);
    const [a, b] = ranges[i]!;
    const fact = kind ? kind.parse(r, outs.slice(a, b), facts, ctx) : null;
    const basisData = kind?.basis ? kind.basis(fact) : fact;
    return { resource: r, fact, basis: digest({ key: resourceKey(r), fact: basisData }) };
  });
  return { facts, observed };
}
