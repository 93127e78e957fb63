/** Loads probe fixtures recorded from real commands (test/fixtures/probe/record.ts) and runs a kind on them. */
import { expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Resource } from "../../src/model/resource.ts";
import { kindOf } from "../../src/kinds/registry.ts";
import type { Decision, HostFacts, ProbeOutput, TargetCtx } from "../../src/model/kind.ts";
import { parseFacts } from "../../src/plan/facts.ts";

export const FIXTURES = join(import.meta.dir, "../fixtures/probe");

interface Recorded {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
}

export interface Fixture {
  scenario: string;
  note: string;
  ctx: TargetCtx;
  resource: Resource;
  facts: HostFacts;
  outputs: ProbeOutput[];
  /** The raw bytes every probe printed, for "this never leaks" checks. */
  raw: string;
}

const decode = (r: Recorded): ProbeOutput => ({ code: r.code, stdout: new Uint8Array(Buffer.from(r.stdout, "base64")), stderr: new Uint8Array(Buffer.from(r.stderr, "base64")) });

export function fixture(name: string): Fixture {
  const f = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as { scenario: string; note: string; ctx: TargetCtx; resource: Resource; facts: Recorded[]; probes: Recorded[] };
  const kind = kindOf(f.resource.type)!;
  // The fixture is only meaningful while the kind still probes with exactly these commands.
  expect(kind.probe(f.resource as never, f.ctx)).toEqual(f.probes.map((p) => p.argv));
  return {
    scenario: f.scenario,
    note: f.note,
    ctx: f.ctx,
    resource: f.resource,
    facts: parseFacts(f.facts.map(decode)),
    outputs: f.probes.map(decode),
    raw: f.probes.map((p) => Buffer.from(p.stdout, "base64").toString("latin1")).join("\n"),
  };
}

/** probe output in → fact → decision out (the pure half of a kind). */
export function decide(name: string): { fx: Fixture; fact: unknown; decision: Decision } {
  const fx = fixture(name);
  const kind = kindOf(fx.resource.type)!;
  const fact = kind.parse(fx.resource as never, fx.outputs, fx.facts, fx.ctx);
  return { fx, fact, decision: kind.diff(fx.resource as never, fact) };
}
