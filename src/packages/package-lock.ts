/**
 * The package lock (`hostkit plan --write-package-lock FILE`, `--package-lock FILE`): every
 * resolution of a semantic package name for a repository, so a plan or apply can run with zero
 * Repology requests and always install the same names.
 *
 * Format: JSON with ONE resolution per line, sorted by (semantic name, repository) with a fixed key
 * order, so the same resolutions always give the same bytes and a change diffs as one line in git.
 *
 *   {"hostkit_package_lock": 1, "packages": [
 *   {"semantic": "ca_certificates", "repository": "debian_12", "project": "ca-certificates", "name": "ca-certificates", "version": "20230311+deb12u1"}
 *   ]}
 *
 * The file is input a user (or an attacker with commit access) can edit: every entry is checked, and
 * a bad one is an error naming the file and line, never a name passed on to a package manager.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { HostKitError } from "../model/errors.ts";
import { semanticNameProblem } from "./installed.ts";
import { ResolveError, type PackageResolver, type Resolution } from "./repology-pick.ts";

export const LOCK_FORMAT = 1;

export type LockEntry = Resolution;

const KEYS = ["semantic", "repository", "project", "name", "version"] as const;
const SAFE = /^[A-Za-z0-9@_+][A-Za-z0-9@._+:~-]{0,127}$/;
const REPO = /^[a-z0-9][a-z0-9_]{0,63}$/;
/** Versions are only shown, never put in an argv: any printable ASCII, one line. */
const VERSION_TEXT = /^[\x21-\x7e][\x20-\x7e]{0,127}$/;

/** Why an entry cannot be in a lock, or null. */
function entryProblem(e: Record<string, unknown>): string | null {
  for (const k of KEYS) if (typeof e[k] !== "string" || e[k] === "") return `"${k}" must be a non-empty string`;
  const extra = Object.keys(e).filter((k) => !(KEYS as readonly string[]).includes(k));
  if (extra.length) return `unknown key "${extra[0]}"`;
  const s = semanticNameProblem(e.semantic as string);
  if (s) return s;
  if (!REPO.test(e.repository as string)) return `${JSON.stringify(e.repository)} is not a Repology repository id`;
  for (const k of ["project", "name"] as const) {
    if (!SAFE.test(e[k] as string)) return `"${k}" ${JSON.stringify(e[k])} contains characters a package ${k} cannot have`;
  }
  if (!VERSION_TEXT.test(e.version as string)) return `"version" ${JSON.stringify(e.version)} is not a one-line printable version`;
  return null;
}

const keyOf = (semantic: string, repository: string) => `${semantic}\u0000${repository}`;
const byKey = (a: LockEntry, b: LockEntry) =>
  a.semantic < b.semantic ? -1 : a.semantic > b.semantic ? 1 : a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0;

export class PackageLock implements PackageResolver {
  private readonly map = new Map<string, LockEntry>();

  /** `file` is only used in messages ("… is not in hostkit.package.lock"). */
  constructor(entries: Iterable<LockEntry> = [], readonly file = "the package lock") {
    for (const e of entries) this.record(e);
  }

  /** Parse lock text; a malformed file or entry is a HostKitError naming `file:line`. */
  static parse(text: string, file: string): PackageLock {
    const bad = (message: string, line = 1): never => {
      throw new HostKitError({ message, source: { file, line }, hint: "regenerate it with `hostkit plan --write-package-lock FILE`" });
    };
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      bad(`not a HostKit package lock: ${(e as Error).message}`);
    }
    const d = doc as { hostkit_package_lock?: unknown; packages?: unknown };
    if (typeof d !== "object" || d === null || Array.isArray(d)) bad("not a HostKit package lock (expected a JSON object)");
    if (d.hostkit_package_lock !== LOCK_FORMAT) {
      bad(`unsupported package lock format ${JSON.stringify(d.hostkit_package_lock)} (this HostKit reads format ${LOCK_FORMAT})`);
    }
    if (!Array.isArray(d.packages)) bad(`"packages" must be a list`);
    // Entries are one per line in files HostKit writes: entry i is on the i-th line opening "{".
    const entryLines = text.split("\n").flatMap((l, n) => (n > 0 && l.trimStart().startsWith("{") ? [n + 1] : []));
    const lock = new PackageLock([], file);
    for (const [i, raw] of (d.packages as unknown[]).entries()) {
      const line = entryLines[i] ?? 1;
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad(`package entry ${i + 1} is not an object`, line);
      const p = entryProblem(raw as Record<string, unknown>);
      if (p) bad(`package entry ${i + 1}: ${p}`, line);
      const e = raw as LockEntry;
      if (lock.get(e.semantic, e.repository)) bad(`package "${e.semantic}" for ${e.repository} is listed twice`, line);
      lock.record(e);
    }
    return lock;
  }

  /** Read and parse a lock file; a missing file is a clear error. */
  static read(file: string): PackageLock {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new HostKitError({ message: `cannot read package lock ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    }
    return PackageLock.parse(text, file);
  }

  get(semantic: string, repository: string): LockEntry | undefined {
    return this.map.get(keyOf(semantic, repository));
  }

  /** Add or replace the resolution for (semantic, repository). */
  record(r: Resolution): void {
    const e: LockEntry = { semantic: r.semantic, repository: r.repository, project: r.project, name: r.name, version: r.version };
    const p = entryProblem(e as unknown as Record<string, unknown>);
    if (p) throw new Error(`cannot lock package "${r.semantic}": ${p}`);
    this.map.set(keyOf(r.semantic, r.repository), e);
  }

  /** Resolve from the lock only: zero requests; a missing entry names the package and repository. */
  async resolve(semantic: string, repository: string): Promise<Resolution> {
    const e = this.get(semantic, repository);
    if (!e) {
      throw new ResolveError(
        "not-locked",
        `package "${semantic}" for repository ${repository} is not in ${this.file}`,
        "regenerate the lock with `hostkit plan --write-package-lock FILE` against this host, or give the name with as:",
      );
    }
    return { ...e };
  }

  entries(): LockEntry[] {
    return [...this.map.values()].sort(byKey);
  }

  /** The file's bytes: deterministic for the same set of entries, whatever order they were added. */
  serialize(): string {
    const rows = this.entries().map((e) => `{${KEYS.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(e[k])}`).join(", ")}}`);
    return `{"hostkit_package_lock": ${LOCK_FORMAT}, "packages": [\n${rows.join(",\n")}${rows.length ? "\n" : ""}]}\n`;
  }

  /** Write atomically (temp file + rename). */
  write(file: string): void {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, this.serialize());
    renameSync(tmp, file);
  }
}

/**
 * A resolver that records every resolution into `lock` (for `--write-package-lock`): the inner
 * resolver does the lookup, the lock keeps the result.
 */
export function recordingResolver(inner: PackageResolver, lock: PackageLock): PackageResolver {
  return {
    async resolve(semantic, repository) {
      const r = await inner.resolve(semantic, repository);
      lock.record(r);
      return r;
    },
  };
}
