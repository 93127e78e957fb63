/**
 * `package`: an OS package, declared by a distribution-neutral name (`ca_certificates`) or an exact
 * one (`as: "build-essential"`).
 *
 * - Facts: the host's os-release, its managers and each manager's installed set, read ONCE per host
 *   in the single probe round trip (src/packages/host-facts.ts): one list query per manager.
 * - `resolve` (after the probe, over all packages of the host): the manager (os-release, or the
 *   pinned one), the installable name (`as:`, else a lookup for the host's Repology repository
 *   through `ctx.lookups.names`: Repology with its cache, or a lock), and the install grouping.
 * - Apply: ONE install command per manager for all missing packages. The kind contract runs ops per
 *   change, so the first missing package of each manager (in plan order) carries the install of
 *   the whole group (and the index refresh, once, when any of them asks for `update`); the others
 *   have no ops and say which change installs them.
 * - Down: kept by default; `rollback: "delete"` (or "delete_if_created") removes a package only when
 *   this run installed it (an up change `create`).
 */
import * as v from "valibot";
import { join } from "node:path";
import { BASE, RollbackSchema } from "../model/resource.ts";
import { defineKind, factOf, resolvedOf, type Decision, type HostFacts, type KindChange, type NameLookup, type Op, type TargetCtx } from "../model/kind.ts";
import { HostKitError, type Diagnostic } from "../model/errors.ts";
import { packageHostFact } from "../packages/host-facts.ts";
import { chooseManager, describeOs, PACKAGE_MANAGERS, type PackageManager } from "../packages/os-release.ts";
import { installCommands, packageNameProblem, removeCommands } from "../packages/installed.ts";
import { CACHE_SUBDIR, RepologyClient, resolveDiagnostic, ResolveError } from "../packages/repology.ts";


export const PackageSchema = v.strictObject({
  ...BASE,
  type: v.literal("package"),
  /** The declared name (semantic, or the exact name when `as` is absent and no lookup is wanted). */
  name: v.string(),
  as: v.optional(v.string()),
  manager: v.optional(v.picklist(PACKAGE_MANAGERS as PackageManager[])),
  version: v.optional(v.string()),
  update: v.boolean(),
  rollback: RollbackSchema,
});
export type Package = v.InferOutput<typeof PackageSchema>;

/** What `resolve` decided for one package on this host. */
export interface PackageFact {
  manager: PackageManager;
  /** The installable name. */
  name: string;
  /** Installed version, or null. */
  installed: string | null;
  /** Where the name came from: `as:`, or the repository it was looked up for. */
  from: string;
  /** The first missing package of its manager: installs all of `group` in one command. */
  group?: string[];
  /** Refresh the index first (any package of the group asked, or apt has no index on the host). */
  update?: boolean;
  /** The refresh is there because the host has no apt index at all (said in the plan). */
  noIndex?: boolean;
  /** Pinned versions of the group (name → version). */
  versions?: Record<string, string>;
  /** Not the leader: the key of the change whose one command installs it. */
  installedBy?: string;
}

const subjectOf = (r: Package) => `package "${r.name}"`;

/** The lookup used when the caller set none (library use): Repology, cached under the working directory. */
let fallback: NameLookup | undefined;
function lookupOf(ctx: TargetCtx): NameLookup {
  return ctx.lookups?.names ?? (fallback ??= new RepologyClient({ cacheDir: join(process.cwd(), CACHE_SUBDIR) }));
}

async function resolvePackages(rs: Package[], facts: HostFacts, ctx: TargetCtx): Promise<Map<string, PackageFact>> {
  const host = factOf(facts, packageHostFact);
  if (!host) throw new HostKitError({ message: "package facts were not read (internal: the package kind's fact is missing)" });
  const problems: Diagnostic[] = [];
  const picked: { r: Package; manager: PackageManager; name: string; from: string }[] = [];
  for (const r of rs) {
    const subject = subjectOf(r);
    const choice = chooseManager(host.os, host.available, r.manager);
    if (!choice.ok) {
      problems.push({ subject, source: r.source, ...(r.manager ? { key: "manager" } : {}), message: choice.message, ...(choice.hint ? { hint: choice.hint } : {}) });
      continue;
    }
    const m = choice.manager;
    if (host.failed[m]) {
      problems.push({ subject, source: r.source, message: `cannot read the installed ${m} packages: ${host.failed[m]}` });
      continue;
    }
    let name = r.as;
    let from = "as:";
    if (name === undefined) {
      if (!host.repository) {
        problems.push({ subject, source: r.source, message: `Repology has no repository HostKit can name for ${describeOs(host.os)}, so "${r.name}" cannot be looked up`, hint: `give the exact name with as: "<name>"` });
        continue;
      }
      try {
        name = (await lookupOf(ctx).resolve(r.name, host.repository)).name;
        from = host.repository;
      } catch (e) {
        if (e instanceof ResolveError) problems.push(resolveDiagnostic(e, subject, r.source));
        else if (e instanceof HostKitError) problems.push(...e.diagnostics.map((d) => ({ subject, source: r.source, ...d })));
        else throw e;
        continue;
      }
    }
    const bad = packageNameProblem(m, name);
    if (bad) {
      problems.push({ subject, source: r.source, ...(r.as !== undefined ? { key: "as" } : {}), message: bad });
      continue;
    }
    picked.push({ r, manager: m, name, from });
  }
  if (problems.length) throw new HostKitError(problems);
  // Two declarations that end up as the same package of the same manager would install it twice.
  const seen = new Map<string, Package>();
  for (const p of picked) {
    const k = `${p.manager}\u0000${p.name}`;
    const first = seen.get(k);
    if (first) problems.push({ subject: subjectOf(p.r), source: p.r.source, message: `is the same ${p.manager} package "${p.name}" as package "${first.name}" (${first.source.file}:${first.source.line})`, hint: "declare it once" });
    seen.set(k, p.r);
  }
  if (problems.length) throw new HostKitError(problems);
  const out = new Map<string, PackageFact>();
  const leaders = new Map<PackageManager, { fact: PackageFact; key: string }>();
  for (const { r, manager, name, from } of picked) {
    const installed = host.installed[manager]?.get(name) ?? null;
    const f: PackageFact = { manager, name, installed, from };
    if (installed === null || (r.version !== undefined && installed !== r.version)) {
      const lead = leaders.get(manager);
      if (!lead) {
        // A host with no apt index at all cannot install anything without refreshing it first.
        const refresh = r.update || (manager === "apt" && host.noIndex === true);
        Object.assign(f, { group: [name], ...(refresh ? { update: true } : {}), ...(manager === "apt" && host.noIndex && !r.update ? { noIndex: true } : {}), ...(r.version ? { versions: { [name]: r.version } } : {}) });
        leaders.set(manager, { fact: f, key: `package:${r.id}` });
      } else {
        lead.fact.group!.push(name);
        if (r.update) {
          lead.fact.update = true;
          delete lead.fact.noIndex;
        }
        if (r.version) lead.fact.versions = { ...lead.fact.versions, [name]: r.version };
        f.installedBy = lead.key;
      }
    }
    out.set(r.id, f);
  }
  return out;
}

function diffPackage(r: Package, f: PackageFact): Decision {
  const id = { manager: f.manager, name: f.name };
  const before = { ...id, installed: f.installed !== null, ...(f.installed !== null ? { version: f.installed } : {}) };
  const after: Record<string, unknown> = { ...id, installed: true, ...(r.version ? { version: r.version } : {}) };
  if (f.group) Object.assign(after, { install: f.group, ...(f.update ? { update: true } : {}), ...(f.versions ? { versions: f.versions } : {}) });
  if (f.installedBy) after.installedBy = f.installedBy;
  const refresh = f.noIndex ? " (no package index on the host: apt-get update first)" : "";
  const how = f.group ? `${f.group.length > 1 ? ` (one ${f.manager} install for ${f.group.length} packages: ${f.group.join(", ")})` : ""}${refresh}` : f.installedBy ? ` (installed by ${f.installedBy}'s one ${f.manager} install)` : "";
  const named = f.from === "as:" ? `${f.name} (as:)` : f.name === r.name ? f.name : `${f.name} (${r.name} on ${f.from})`;
  if (f.installed === null) return { action: "create", reason: `${f.manager} package ${named} is not installed${how}`, before, after };
  if (r.version !== undefined && f.installed !== r.version) return { action: "update", reason: `${f.manager} package ${named} is ${f.installed}, not ${r.version}${how}`, before, after };
  return { action: "noop", reason: `${f.manager} package ${named} ${f.installed} is installed`, before, after: { ...id, installed: true } };
}

function packageOps(change: KindChange<Package>, ctx: TargetCtx): Op[] {
  const skip = ctx.root ? { skip: "offline root: packages are installed only on live hosts" } : {};
  if (change.action === "delete") {
    const b = change.before as { manager: PackageManager; name: string };
    return removeCommands(b.manager, [b.name]).map((argv) => ({ label: `remove ${b.manager} package ${b.name}`, argv, ...skip }));
  }
  const a = change.after as { manager: PackageManager; install?: string[]; update?: boolean; versions?: Record<string, string> };
  if (!a.install) return []; // installed by its group's leader (see the module comment)
  const cmds = installCommands(a.manager, a.install, { ...(a.update ? { update: true } : {}), ...(a.versions ? { versions: new Map(Object.entries(a.versions)) } : {}) });
  return cmds.map((argv, i) => ({
    label: i < cmds.length - 1 ? `refresh the ${a.manager} package index` : `install ${a.manager} package${a.install!.length > 1 ? "s" : ""} ${a.install!.join(", ")}`,
    argv,
    ...skip,
  }));
}

export const pkg = defineKind<Package, PackageFact>({
  type: "package",
  schema: PackageSchema,
  facts: [packageHostFact],
  probe: () => [],
  resolve: resolvePackages,
  parse(r, _out, facts) {
    const f = resolvedOf<Map<string, PackageFact>>(facts, "package")?.get(r.id);
    if (!f) throw new HostKitError({ subject: subjectOf(r), source: r.source, message: "was not resolved (internal)" });
    return f;
  },
  diff: diffPackage,
  // What a re-read confirms: this package's own state, not its group (another package's change moves the leader).
  basis: (f) => ({ manager: f.manager, name: f.name, installed: f.installed }),
  ops: packageOps,
  down: {
    invert(c) {
      const r = c.resource!;
      if (c.action !== "create") return c.action === "update" ? { warning: `${c.key}: the previous version (${String(c.before?.version)}) is not restored` } : {};
      if (r.rollback === "keep") return { kept: `${c.key} (rollback: "keep")` };
      const a = c.after as { manager: string; name: string };
      const id = { manager: a.manager, name: a.name };
      return { change: { key: c.key, type: c.type, id: c.id, source: c.source, ...(c.service ? { service: c.service } : {}), action: "delete", reason: `installed by the up plan (rollback: "${r.rollback}")`, before: { ...id, installed: true }, after: { ...id, installed: false }, resource: r } };
    },
    settled: (c) => (c.action === "delete" ? { installed: false } : c.action === "create" || c.action === "update" ? { installed: true } : undefined),
    observed: (f) => ({ installed: f.installed !== null }),
  },
  unplanned: (rs, ctx) => (ctx.root ? `offline root: ${rs.length} package(s) (${rs.map((r) => r.id).join(", ")}) are not planned: packages are read and installed only on live hosts` : undefined),
  describe: (r) => [r.as ? `as ${r.as}` : "", r.manager ? `manager ${r.manager}` : "", r.version ? `version ${r.version}` : ""].filter(Boolean).join(", "),
});
