/**
 * The import graph of src/: no cycles among value imports (`import type` is erased and cannot make a
 * runtime cycle), `src/index.ts` (the package's public API) is imported by nothing in src, and the
 * core model imports nothing above it except the registry it derives the plan schema from.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Value imports of one file (relative specifiers), resolved to files under src. */
function valueImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+"(\.[^"]+)"/gms;
  for (const m of text.matchAll(re)) {
    if (m[2]) continue; // import type / export type
    const names = m[3]!.trim();
    // `import { type A, type B }`: only types, erased too.
    if (/^\{[^}]*\}$/.test(names) && names.slice(1, -1).split(",").every((x) => !x.trim() || x.trim().startsWith("type "))) continue;
    out.push(resolve(dirname(file), m[4]!));
  }
  for (const m of text.matchAll(/^\s*import\s+"(\.[^"]+)"/gm)) out.push(resolve(dirname(file), m[1]!));
  return out;
}

const all = files(SRC);
const graph = new Map(all.map((f) => [f, valueImports(f).filter((t) => all.includes(t))]));
const rel = (f: string) => relative(SRC, f);

test("the value-import graph of src has no cycle", () => {
  const state = new Map<string, 1 | 2>();
  const cycles: string[] = [];
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 1) cycles.push([...stack.slice(stack.indexOf(t)), t].map(rel).join(" → "));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of all) if (!state.has(f)) visit(f);
  expect(cycles).toEqual([]);
});

test("src/index.ts (the public API for programs) is imported by nothing in src", () => {
  const index = join(SRC, "index.ts");
  expect(all.filter((f) => graph.get(f)!.includes(index)).map(rel)).toEqual([]);
});

test("the graph is read (the check above can fail): the planner imports the registry", () => {
  expect(graph.get(join(SRC, "plan/planner.ts"))!.map(rel)).toContain("kinds/registry.ts");
});
