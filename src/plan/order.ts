/**
 * Apply order: a topological sort of resources by their `requires` edges, ties broken by declaration
 * order, so a plan reads like the infra file except where a dependency says otherwise (a file whose
 * parent directory and owner are declared later in the file still comes after them). No type ranks.
 * A cycle is a load-time error naming the resources and where they were declared.
 */
import { HostKitError } from "../model/errors.ts";
import { formatLoc, type SourceLoc } from "../model/source.ts";

export interface Node {
  key: string;
  requires?: readonly string[];
  source?: SourceLoc;
}

/** Min-heap of indexes: the ready node declared first goes first. */
class IndexHeap {
  private a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * Nodes in dependency order (stable: among nodes whose requirements are met, the earliest declared).
 * Edges to keys that are not among the nodes are ignored here (compile reports unknown explicit ones).
 */
export function dependencyOrder<N extends Node>(nodes: readonly N[]): N[] {
  const index = new Map(nodes.map((n, i) => [n.key, i]));
  const indegree = new Array<number>(nodes.length).fill(0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const dep of new Set(n.requires ?? [])) {
      const j = index.get(dep);
      if (j === undefined || j === i) continue;
      indegree[i]!++;
      dependents[j]!.push(i);
    }
  });
  const ready = new IndexHeap();
  indegree.forEach((d, i) => d === 0 && ready.push(i));
  const out: N[] = [];
  while (ready.size) {
    const i = ready.pop();
    out.push(nodes[i]!);
    for (const k of dependents[i]!) if (--indegree[k]! === 0) ready.push(k);
  }
  if (out.length !== nodes.length) throw cycleError(nodes, index, indegree);
  return out;
}

/** One cycle among the nodes left with unmet requirements, as one diagnostic. */
function cycleError<N extends Node>(nodes: readonly N[], index: Map<string, number>, indegree: number[]): HostKitError {
  const stuck = new Set(indegree.flatMap((d, i) => (d > 0 ? [i] : [])));
  // Walk requirements from a stuck node until one repeats: that loop is a cycle.
  const start = Math.min(...stuck);
  const seen = new Map<number, number>();
  const path: number[] = [];
  let at = start;
  while (!seen.has(at)) {
    seen.set(at, path.length);
    path.push(at);
    at = (nodes[at]!.requires ?? []).map((k) => index.get(k)).find((j): j is number => j !== undefined && stuck.has(j) && j !== at)!;
  }
  const cycle = [...path.slice(seen.get(at)!), at].map((i) => nodes[i]!);
  const first = cycle[0]!;
  return new HostKitError({
    subject: first.key,
    ...(first.source ? { source: first.source } : {}),
    message: `dependency cycle: ${cycle.map((n) => n.key).join(" → ")}`,
    hint: `each requires the next; declared at ${cycle.slice(0, -1).map((n) => `${n.key} ${n.source ? formatLoc(n.source) : "(no source)"}`).join(", ")}`,
  });
}
