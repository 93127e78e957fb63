/**
 * Plan-time validation: what could only fail at apply (or would apply wrongly) is refused in the plan,
 * before anything runs, each error naming the resource, its file:line and the host:
 * - a user or group that exists neither on the host nor among the accounts this plan creates;
 * - two declarations of one path (a file and a directory at /srv/x);
 * - each kind's own checks, from what the probe read (`Kind.check`: a regular file where a directory is
 *   declared, a calendar spec the target's systemd refuses);
 * - two listeners of one host on one port with overlapping addresses.
 * Pure: it reads the facts the planner's one probe round trip already brought back.
 */
import type { Diagnostic } from "../model/errors.ts";
import type { HostFacts, Listen, ProbeOutput, TargetCtx } from "../model/kind.ts";
import { resourceKey, type Resource } from "../model/resource.ts";
import { kindOf } from "../kinds/registry.ts";
import type { Observed } from "./probe.ts";

export interface ValidateInput {
  /** The resources this plan applies, with what the probe read. */
  observed: readonly Observed[];
  /** Everything declared for this target (listeners and paths clash whether selected or not). */
  declared: readonly Resource[];
  facts: HostFacts;
  /** Outputs of the kinds' `check.probe` commands, by kind. */
  checks: ReadonlyMap<string, ProbeOutput[]>;
  ctx: TargetCtx;
  /** The target as said in every error: `host web1`, `--root /srv/image`. */
  host: string;
}

/** Root (and numeric ids) exist on every host, even an offline tree without an etc/passwd yet. */
const always = (name: string) => name === "root" || /^\d+$/.test(name);

export function planProblems(input: ValidateInput): Diagnostic[] {
  const { observed, facts, host } = input;
  const out: Diagnostic[] = [];
  const at = (r: Resource, message: string, hint?: string): Diagnostic => ({ subject: resourceKey(r), source: r.source, message: `${message} (${host})`, ...(hint ? { hint } : {}) });

  // Names this plan creates: its accounts (and their own groups).
  const users = new Set<string>();
  const groups = new Set<string>();
  for (const { resource: r } of observed) {
    const p = kindOf(r.type)?.provides?.(r, input.ctx);
    for (const u of p?.users ?? []) users.add(u);
    for (const g of p?.groups ?? []) groups.add(g);
  }
  for (const { resource: r } of observed) {
    const n = kindOf(r.type)?.needs?.(r, input.ctx);
    const missing = [...new Set(n?.users ?? [])].filter((u) => !always(u) && !facts.users.has(u) && !users.has(u));
    for (const u of missing) out.push(at(r, `user "${u}" exists neither on the target nor among the accounts declared for it`, `declare it (p.account("${u}", …)) or name an existing user`));
    for (const g of new Set(n?.groups ?? [])) {
      // The group named after a missing owner (the default group) is the same mistake: said once.
      if (!always(g) && !facts.groups.has(g) && !groups.has(g) && !missing.includes(g)) out.push(at(r, `group "${g}" exists neither on the target nor among the accounts declared for it`, `name an existing group, or an account whose own group it is`));
    }
  }

  out.push(...samePath(input.declared, at));

  for (const { resource: r, fact } of observed) {
    const check = kindOf(r.type)?.check;
    if (!check) continue;
    for (const m of check.problems(r, fact, { facts, ctx: input.ctx, out: input.checks.get(r.type) ?? [] })) out.push(at(r, m));
  }

  out.push(...portClashes(input.declared, at));
  // In declaration order, as load-time errors are.
  const where = (d: Diagnostic) => [d.source?.file ?? "", d.source?.line ?? 0] as const;
  return out.map((d, i) => ({ d, i })).sort((a, b) => where(a.d)[0].localeCompare(where(b.d)[0]) || where(a.d)[1] - where(b.d)[1] || a.i - b.i).map((x) => x.d);
}

/** Two declarations writing one path: whichever applies last would silently undo the other. */
function samePath(declared: readonly Resource[], at: (r: Resource, m: string, h?: string) => Diagnostic): Diagnostic[] {
  const first = new Map<string, Resource>();
  const out: Diagnostic[] = [];
  for (const r of declared) {
    const w = kindOf(r.type)?.writes?.(r);
    if (!w) continue;
    const seen = first.get(w.path);
    if (!seen) first.set(w.path, r);
    else out.push(at(r, `${w.path} is also declared as ${resourceKey(seen)}${seen.source ? ` at ${seen.source.file}:${seen.source.line}` : ""}`, "one path holds one thing: remove one of the two declarations"));
  }
  return out;
}

const ANY = new Set(["any", "0.0.0.0", "::", "[::]", "*"]);
const LOOPBACK = new Set(["loopback", "127.0.0.1", "localhost"]);

/** Whether two listen addresses can collide on one port: the same address, or either is every address. */
export function overlaps(a: string, b: string): boolean {
  if (ANY.has(a) || ANY.has(b)) return true;
  if (LOOPBACK.has(a) && LOOPBACK.has(b)) return true;
  return a.replace(/\/\d+$/, "") === b.replace(/\/\d+$/, "");
}

function portClashes(declared: readonly Resource[], at: (r: Resource, m: string, h?: string) => Diagnostic): Diagnostic[] {
  const seen: { r: Resource; l: Listen }[] = [];
  const out: Diagnostic[] = [];
  for (const r of declared) {
    for (const l of kindOf(r.type)?.listens?.(r) ?? []) {
      const other = seen.find((s) => s.l.port === l.port && overlaps(s.l.on, l.on) && !(l.shared && s.l.shared === l.shared));
      if (other) {
        const where = other.r.source ? ` at ${other.r.source.file}:${other.r.source.line}` : "";
        out.push(at(r, `listener "${l.name}" (${l.on}:${l.port}) clashes with listener "${other.l.name}" (${other.l.on}:${other.l.port}) of ${resourceKey(other.r)}${where}`, "two daemons of one host cannot listen on one port: change one port or address"));
      } else seen.push({ r, l });
    }
  }
  return out;
}
