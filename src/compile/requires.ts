/**
 * Implicit dependencies, added by compile to every resource (pure, no per-type switch): what any
 * resource needs before it can be applied follows from the fields it has.
 * - a `path`: the nearest declared ancestor directory;
 * - an `owner`/`group`, or a unit's `User=`/`Group=`: the declared account of that name, or whose
 *   primary group it is;
 * - a `service`: the packages that service declares (the package a service needs is installed first).
 * Explicit `requires` are kept; an explicit one naming no declared resource is an error.
 */
import { HostKitError } from "../model/errors.ts";
import { resourceKey, type Resource } from "../model/resource.ts";

type Fields = { path?: unknown; owner?: unknown; group?: unknown; name?: unknown; sections?: Record<string, [string, string][]> };

function parentsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = path.replace(/\/+$/, ""); p.lastIndexOf("/") > 0; ) {
    p = p.slice(0, p.lastIndexOf("/"));
    out.push(p);
  }
  return out;
}

export function addImplicitRequires(resources: Resource[]): Resource[] {
  const keys = new Set(resources.map(resourceKey));
  const dirs = new Set(resources.filter((r) => r.type === "directory").map((r) => r.id));
  const accountByUser = new Map<string, string>();
  const accountByGroup = new Map<string, string>();
  for (const r of resources) {
    if (r.type !== "account") continue;
    accountByUser.set(r.name, resourceKey(r));
    accountByGroup.set(r.group ?? r.name, resourceKey(r));
  }
  const packagesOf = new Map<string, string[]>();
  for (const r of resources) if (r.type === "package" && r.service) packagesOf.set(r.service, [...(packagesOf.get(r.service) ?? []), resourceKey(r)]);

  return resources.map((r) => {
    const key = resourceKey(r);
    for (const dep of r.requires ?? []) {
      if (!keys.has(dep)) throw new HostKitError({ subject: key, key: "requires", source: r.source, message: `no resource ${dep} is declared`, hint: "keys look like directory:/srv/app or systemd_service:app.service (see hostkit dump)" });
    }
    const f = r as Fields;
    const deps = new Set(r.requires ?? []);
    if (typeof f.path === "string") {
      const parent = parentsOf(f.path).find((p) => dirs.has(p));
      if (parent) deps.add(`directory:${parent}`);
    }
    const users = [f.owner, ...(f.sections?.Service ?? []).filter(([k]) => k === "User").map(([, v]) => v)];
    const groups = [f.group, ...(f.sections?.Service ?? []).filter(([k]) => k === "Group").map(([, v]) => v)];
    for (const u of users) if (typeof u === "string" && accountByUser.has(u)) deps.add(accountByUser.get(u)!);
    for (const g of groups) if (typeof g === "string" && accountByGroup.has(g)) deps.add(accountByGroup.get(g)!);
    if (r.service && r.type !== "package") for (const p of packagesOf.get(r.service) ?? []) deps.add(p);
    deps.delete(key);
    return deps.size ? { ...r, requires: [...deps] } : r;
  });
}
