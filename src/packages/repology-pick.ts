/**
 * Pure part of the Repology resolver: from one project's package list to the installable name in one
 * repository (reference packages.md §2). No I/O here, so every rule is tested on recorded responses.
 *
 * - Alpine and Arch entries carry `binname` (the real package name, one entry per split package).
 * - Debian, Ubuntu and Fedora entries carry only `srcname` (a source package); since 2025-05-29 the
 *   project endpoint adds `binnames`. When there are no binnames the srcname is used as the guess,
 *   which the install on the target then confirms or refutes (an `as:` fixes a wrong guess).
 * - A project merges unrelated names (`firefox` holds Debian's `firefox-esr`), so several distinct
 *   candidates are an error asking for `as:` unless one equals the project or the semantic name.
 */

import type { Diagnostic } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";

export type RepologyStatus = "newest" | "devel" | "unique" | "outdated" | "legacy" | "rolling" | "noscheme" | "incorrect" | "untrusted" | "ignored";

/** One element of `GET /api/v1/project/<name>` (repology-webapp ApiPackage). */
export interface RepologyPackage {
  repo: string;
  subrepo?: string;
  srcname?: string;
  binname?: string;
  binnames?: string[];
  visiblename: string;
  version: string;
  origversion: string | null;
  status: RepologyStatus;
  summary?: string;
}

export type ResolveErrorKind =
  /** 200 `[]`: Repology knows no such project. */
  | "unknown-project"
  /** The project exists but has nothing in the target's repository. */
  | "not-in-repository"
  /** Several different installable names; the user must choose with `as:`. */
  | "ambiguous"
  /** HTTP 403 (Repology blocks misbehaving clients with an nginx HTML page). */
  | "blocked"
  /** Any other HTTP status, a network failure, or a body that is not the documented JSON. */
  | "unavailable"
  /** `--package-lock` given and the lock has no entry for this name and repository. */
  | "not-locked";

/** A resolution failure; `hint` says what the user can do. Callers turn it into a Diagnostic
 * with `resolveDiagnostic` (naming the declaration and its file:line). */
export class ResolveError extends Error {
  override readonly name = "ResolveError";
  constructor(
    readonly kind: ResolveErrorKind,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The user-facing diagnostic for a resolution failure of one declaration. */
export function resolveDiagnostic(e: ResolveError, subject: string, source?: SourceLoc): Diagnostic {
  return { message: e.message, subject, ...(source ? { source } : {}), ...(e.hint ? { hint: e.hint } : {}) };
}

export interface Resolution {
  /** The declared, distribution-neutral name (`ca_certificates`). */
  semantic: string;
  /** The Repology project it was looked up as (`ca-certificates`). */
  project: string;
  /** The Repology repository id (`debian_12`). */
  repository: string;
  /** What to hand the package manager (`ca-certificates`, `firefox-esr`). */
  name: string;
  /** The repository's version as Repology saw it (`origversion`, else `version`). */
  version: string;
}

/** Anything that turns a semantic name into an installable name for a repository. */
export interface PackageResolver {
  resolve(semantic: string, repository: string): Promise<Resolution>;
}

/** `ca_certificates` → `ca-certificates`: Repology project names use `-` where HostKit names use `_`. */
export function projectName(semantic: string): string {
  return semantic.replaceAll("_", "-");
}

const LIST_MAX = 8;
function list(names: string[]): string {
  const shown = names.slice(0, LIST_MAX).join(", ");
  return names.length > LIST_MAX ? `${shown}, … (${names.length} in all)` : shown;
}

/**
 * Choose the installable name for `semantic` in `repository` from the project's packages.
 * Throws ResolveError (unknown-project, not-in-repository, ambiguous).
 */
export function pickInstallable(semantic: string, project: string, repository: string, packages: readonly RepologyPackage[]): Resolution {
  const asHint = `give the ${repository} package name with as: "<name>"`;
  if (packages.length === 0) {
    throw new ResolveError("unknown-project", `Repology has no project "${project}" (looked up for package "${semantic}")`, asHint);
  }
  const here = packages.filter((p) => p.repo === repository);
  if (here.length === 0) {
    const repos = new Set(packages.map((p) => p.repo)).size;
    throw new ResolveError(
      "not-in-repository",
      `Repology project "${project}" has no package in repository ${repository} (it has packages in ${repos} other ${repos === 1 ? "repository" : "repositories"})`,
      asHint,
    );
  }
  // Candidate names, and for each the entries that vouch for it (for the version).
  const byName = new Map<string, RepologyPackage[]>();
  const add = (n: string | undefined, p: RepologyPackage) => {
    if (!n) return;
    byName.set(n, [...(byName.get(n) ?? []), p]);
  };
  if (here.some((p) => p.binname)) {
    for (const p of here) add(p.binname, p);
  } else if (here.some((p) => p.binnames?.length)) {
    for (const p of here) for (const b of p.binnames ?? []) add(b, p);
  } else {
    for (const p of here) add(p.srcname, p);
  }
  if (byName.size === 0) {
    throw new ResolveError("ambiguous", `Repology lists project "${project}" in ${repository} without a package name`, asHint);
  }
  const names = [...byName.keys()].sort();
  const srcnames = [...new Set(here.map((p) => p.srcname).filter((s): s is string => !!s))];
  const preferred = [project, semantic, semantic.replaceAll("_", "-"), ...(srcnames.length === 1 ? srcnames : [])];
  const name = names.length === 1 ? names[0]! : preferred.find((n) => byName.has(n));
  if (!name) {
    throw new ResolveError(
      "ambiguous",
      `Repology project "${project}" has ${names.length} different packages in ${repository}: ${list(names)}`,
      `choose one with as: "<name>"`,
    );
  }
  // The name goes into an argv on a host: a hostile or broken server must not smuggle options in.
  if (!SAFE_NAME.test(name)) {
    throw new ResolveError("unavailable", `Repology gave ${JSON.stringify(name)} as the ${repository} package of "${project}", which is not a package name`, asHint);
  }
  return { semantic, project, repository, name, version: versionOf(byName.get(name)!) };
}

const SAFE_NAME = /^[A-Za-z0-9@_+][A-Za-z0-9@._+-]{0,127}$/;

/**
 * The version to record: Repology marks an entry `legacy` when a newer one of the same package is in
 * the same repository (bookworm/main vs bookworm-security/main, Fedora release vs updates), so
 * prefer the entries that are not legacy. Raw `origversion` is what the package manager shows.
 */
function versionOf(entries: RepologyPackage[]): string {
  const current = entries.find((p) => p.status !== "legacy") ?? entries[0]!;
  const v = (current.origversion ?? current.version).replace(/[^\x20-\x7e]/g, "").trim().slice(0, 128);
  return v === "" ? "unknown" : v;
}

/** Check a parsed body has the documented shape (array of objects with string repo/version). */
export function asPackageList(body: unknown): RepologyPackage[] | undefined {
  if (!Array.isArray(body)) return undefined;
  for (const p of body) {
    if (typeof p !== "object" || p === null) return undefined;
    const o = p as Record<string, unknown>;
    if (typeof o.repo !== "string" || typeof o.version !== "string") return undefined;
    for (const k of ["srcname", "binname", "subrepo"]) if (o[k] !== undefined && typeof o[k] !== "string") return undefined;
    if (o.binnames !== undefined && !(Array.isArray(o.binnames) && o.binnames.every((b) => typeof b === "string"))) return undefined;
  }
  return body as RepologyPackage[];
}
