/**
 * Package-manager commands as data: the ONE installed-state query per manager for any number of
 * packages, the parsers of its output, the non-interactive install/update argv, and name checks.
 *
 * Everything here is pure (argv arrays in, Maps out) so it is tested as data; the runner executes
 * the argv. Exit codes follow reference packages.md §3.2, verified on Debian 12 for dpkg-query.
 */
import type { PackageManager } from "./os-release.ts";

/** A name → installed version, or null when the package is not installed. */
export type InstalledState = Map<string, string | null>;

export interface QueryResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The manager's query tool failed as a whole (not "some packages are missing"). */
export class InstalledQueryError extends Error {
  override readonly name = "InstalledQueryError";
}

// ---------------------------------------------------------------------------------------------
// Names

/**
 * Per-manager name rules. Debian Policy §5.6.1: "lower case letters (a-z), digits (0-9), plus (+)
 * and minus (-) signs, and periods (.) … at least two characters long and must start with an
 * alphanumeric character". RPM, apk and pacman names additionally allow upper case (RPM) and `_`
 * / `@`; none allows whitespace, quotes, `$`, `;`, `/`, or a leading `-` (which would read as an
 * option: the argv builders rely on this for tools that do not take `--`).
 */
const NAME_RULES: Readonly<Record<PackageManager, { re: RegExp; rule: string }>> = {
  apt: { re: /^[a-z0-9][a-z0-9+.-]+$/, rule: "lower-case letters, digits, '+', '-', '.'; at least 2 characters; starting with a letter or digit (Debian Policy 5.6.1)" },
  dnf: { re: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/, rule: "letters, digits, '.', '_', '+', '-'; starting with a letter or digit" },
  apk: { re: /^[a-z0-9][a-z0-9._+-]*$/, rule: "lower-case letters, digits, '.', '_', '+', '-'; starting with a letter or digit" },
  pacman: { re: /^[a-z0-9@_+][a-z0-9@._+-]*$/, rule: "lower-case letters, digits, '@', '.', '_', '+', '-'; not starting with '-' or '.'" },
};
const MAX_NAME = 128;

/** Why `name` cannot be a package name for `manager`, or null when it can. */
export function packageNameProblem(manager: PackageManager, name: string): string | null {
  const r = NAME_RULES[manager];
  if (name.length > MAX_NAME) return `package name is longer than ${MAX_NAME} characters`;
  if (!r.re.test(name)) return `${JSON.stringify(name)} is not a valid ${manager} package name (${r.rule})`;
  return null;
}

/**
 * A semantic (distribution-neutral) name: `ca_certificates`, `build_essential`, `jq`. Lower-case
 * letters, digits and `_ - . +`; it becomes a Repology project name and part of a resource key.
 */
const SEMANTIC = /^[a-z0-9][a-z0-9_.+-]*$/;
export function semanticNameProblem(name: string): string | null {
  if (name.length > MAX_NAME) return `package name is longer than ${MAX_NAME} characters`;
  if (!SEMANTIC.test(name)) {
    return `${JSON.stringify(name)} is not a valid package name (lower-case letters, digits, '_', '-', '.', '+'; starting with a letter or digit)`;
  }
  return null;
}

/** Versions as the managers print them: no whitespace or shell metacharacters. */
const VERSION = /^[A-Za-z0-9][A-Za-z0-9.+~:_-]*$/;
export function versionProblem(version: string): string | null {
  return VERSION.test(version) && version.length <= MAX_NAME ? null : `${JSON.stringify(version)} is not a valid package version`;
}

function assertNames(manager: PackageManager, names: readonly string[]): void {
  if (names.length === 0) throw new Error("no package names given");
  for (const n of names) {
    const p = packageNameProblem(manager, n);
    if (p) throw new Error(p);
  }
}

// ---------------------------------------------------------------------------------------------
// The installed-state query

export interface InstalledQuery {
  argv: string[];
  /** Exit codes that mean "the query ran"; anything else is a failure of the tool itself. */
  okCodes: number[];
}

/** dpkg-query's format: name, dpkg state, version. Exit 0 does NOT mean installed (§3.2). */
export const DPKG_FORMAT = "${Package}\t${db:Status-Status}\t${Version}\n";
/** rpm's query format: name, version-release. */
export const RPM_FORMAT = "%{NAME}\t%{VERSION}-%{RELEASE}\n";

const range = (n: number) => Array.from({ length: n + 1 }, (_, i) => i);

/**
 * The one command that reports the installed state of all `names` (never one per package).
 * - dpkg-query: 0 = all found, 1 = some unknown to dpkg, 2 = fatal.
 * - rpm -q / apk info -e: exit status = number of packages not installed.
 * - pacman -Q: 1 when any is missing.
 */
export function installedQuery(manager: PackageManager, names: readonly string[]): InstalledQuery {
  assertNames(manager, names);
  switch (manager) {
    case "apt":
      return { argv: ["dpkg-query", "-W", `-f=${DPKG_FORMAT}`, "--", ...names], okCodes: [0, 1] };
    case "dnf":
      return { argv: ["rpm", "-q", "--qf", RPM_FORMAT, ...names], okCodes: range(names.length) };
    case "apk":
      return { argv: ["apk", "info", "-e", "-v", ...names], okCodes: range(names.length) };
    case "pacman":
      return { argv: ["pacman", "-Q", ...names], okCodes: [0, 1] };
  }
}

/** `apk info -e -v` prints `name-version`; apk versions look like `1.3.1-r2`. */
const APK_VERSION = /^[0-9][^\s-]*-r[0-9]+$/;

/**
 * Read the output of `installedQuery(manager, names)` into name → version | null. Every requested
 * name is in the map. Throws InstalledQueryError when the tool itself failed.
 */
export function parseInstalled(manager: PackageManager, names: readonly string[], res: QueryResult): InstalledState {
  const q = installedQuery(manager, names);
  if (!q.okCodes.includes(res.code)) {
    const line = (res.stderr.trim() || res.stdout.trim()).split("\n")[0] ?? "";
    throw new InstalledQueryError(`${q.argv[0]} failed (exit ${res.code})${line ? `: ${line}` : ""}`);
  }
  const state: InstalledState = new Map(names.map((n) => [n, null]));
  const wanted = new Set(names);
  for (const line of res.stdout.split("\n")) {
    if (line === "") continue;
    switch (manager) {
      case "apt": {
        const [name, status, version] = line.split("\t");
        // Removed-but-configured (`config-files`) and purged (`not-installed`) rows exit 0 too.
        if (name && wanted.has(name) && status === "installed" && version) state.set(name, version);
        break;
      }
      case "dnf": {
        // Missing packages print "package X is not installed" (no tab) on stdout.
        const [name, version] = line.split("\t");
        if (name && version && wanted.has(name)) state.set(name, version);
        break;
      }
      case "apk": {
        // The longest requested name that leaves a well-formed version wins (`zlib` vs `zlib-dev`).
        let best: string | undefined;
        for (const n of wanted) {
          if (line.startsWith(`${n}-`) && APK_VERSION.test(line.slice(n.length + 1)) && (!best || n.length > best.length)) best = n;
        }
        if (best) state.set(best, line.slice(best.length + 1));
        break;
      }
      case "pacman": {
        const [name, version, extra] = line.split(" ");
        if (name && version && extra === undefined && wanted.has(name)) state.set(name, version);
        break;
      }
    }
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// Install

export interface InstallOptions {
  /** Refresh the package index first (once, before the install). */
  update?: boolean;
  /**
   * How long to wait for a package-manager lock another process holds (apt: dpkg frontend lock;
   * apk: repository lock), instead of failing at once. Default 300 s. pacman and dnf have no such
   * option: they fail at once on a held lock.
   */
  lockTimeoutSeconds?: number;
  /** Exact versions for some names (`name → version`); pacman cannot pin. */
  versions?: ReadonlyMap<string, string>;
}

export const DEFAULT_LOCK_TIMEOUT_SECONDS = 300;

/** `name=version` (apt, apk) or `name-version` (dnf); a name unchanged when no version is pinned. */
export function packageSpec(manager: PackageManager, name: string, version?: string): string {
  if (version === undefined) return name;
  const p = versionProblem(version);
  if (p) throw new Error(p);
  switch (manager) {
    case "apt":
    case "apk":
      return `${name}=${version}`;
    case "dnf":
      return `${name}-${version}`;
    case "pacman":
      throw new Error(`pacman cannot install a chosen version of ${name}; remove version:`);
  }
}

/**
 * The commands that install `names` non-interactively, in order (an optional index refresh, then
 * ONE install for all of them). apt runs through `env DEBIAN_FRONTEND=noninteractive` so no
 * debconf prompt can block, keeps existing conffiles, and waits for a held dpkg lock up to the bound
 * (`DPkg::Lock::Timeout`, present in apt ≥ 1.9.11; checked in libapt-pkg 2.6 here).
 */
export function installCommands(manager: PackageManager, names: readonly string[], opts: InstallOptions = {}): string[][] {
  assertNames(manager, names);
  const lock = opts.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS;
  if (!Number.isInteger(lock) || lock < 0) throw new Error(`lock timeout must be a whole number of seconds, not ${lock}`);
  const specs = names.map((n) => packageSpec(manager, n, opts.versions?.get(n)));
  switch (manager) {
    case "apt": {
      const env = ["env", "DEBIAN_FRONTEND=noninteractive"];
      const lockOpt = ["-o", `DPkg::Lock::Timeout=${lock}`];
      const install = [...env, "apt-get", "install", "-y", "-q", ...lockOpt,
        "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "--", ...specs];
      return opts.update ? [[...env, "apt-get", "update", "-q", ...lockOpt], install] : [install];
    }
    case "dnf": {
      const install = ["dnf", "install", "-y", ...specs];
      return opts.update ? [["dnf", "makecache", "-y"], install] : [install];
    }
    case "apk": {
      const wait = ["--wait", String(lock)];
      const install = ["apk", "add", ...wait, ...specs];
      return opts.update ? [["apk", "update", ...wait], install] : [install];
    }
    case "pacman":
      // A lone `pacman -Sy` followed by `-S` is a partial upgrade, which Arch does not support:
      // refreshing means a full `-Syu` in the same transaction.
      return [["pacman", opts.update ? "-Syu" : "-S", "--noconfirm", "--needed", ...specs]];
  }
}

/** The commands that remove `names` (down plans with rollback: "delete"). */
export function removeCommands(manager: PackageManager, names: readonly string[], opts: Pick<InstallOptions, "lockTimeoutSeconds"> = {}): string[][] {
  assertNames(manager, names);
  const lock = opts.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS;
  switch (manager) {
    case "apt":
      return [["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", "-q", "-o", `DPkg::Lock::Timeout=${lock}`, "--", ...names]];
    case "dnf":
      return [["dnf", "remove", "-y", ...names]];
    case "apk":
      return [["apk", "del", "--wait", String(lock), ...names]];
    case "pacman":
      return [["pacman", "-R", "--noconfirm", ...names]];
  }
}

/**
 * The manager's own error line from a failed install, for "installing X with apt failed: …".
 * apt prints `E: …`, dnf `Error: …`, apk `ERROR: …`, pacman `error: …`; else the last stderr line.
 */
export function installErrorLine(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(E:|Error:|ERROR:|error:)/.test(l)) ?? lines.at(-1) ?? "";
}

// ---------------------------------------------------------------------------------------------
// The installed set, whole

/**
 * The one command per manager that lists EVERY installed package (no names given). The planner
 * reads the host before it can know the installable names (they come from os-release and the
 * Repology lookup made with it), so the probe lists the installed set, once per manager, whatever
 * the number of declared packages. `root`: an offline tree (the manager reads its database there).
 */
export function listInstalledQuery(manager: PackageManager, root?: string): string[] {
  const r = root ? root.replace(/\/+$/, "") : "";
  switch (manager) {
    case "apt":
      return ["dpkg-query", ...(r ? [`--admindir=${r}/var/lib/dpkg`] : []), "-W", `-f=${DPKG_FORMAT}`];
    case "dnf":
      return ["rpm", ...(r ? ["--root", r] : []), "-qa", "--qf", RPM_FORMAT];
    case "apk":
      return ["apk", ...(r ? ["--root", r] : []), "info", "-v"];
    case "pacman":
      return ["pacman", ...(r ? ["--root", r] : []), "-Q"];
  }
}

const APK_LINE = /^(.+)-([0-9][^\s-]*-r[0-9]+)$/;

/** The output of `listInstalledQuery` → every installed name and its version. */
export function parseInstalledList(manager: PackageManager, res: QueryResult): Map<string, string> {
  if (res.code !== 0) {
    const line = (res.stderr.trim() || res.stdout.trim()).split("\n")[0] ?? "";
    throw new InstalledQueryError(`${listInstalledQuery(manager)[0]} failed (exit ${res.code})${line ? `: ${line}` : ""}`);
  }
  const out = new Map<string, string>();
  for (const line of res.stdout.split("\n")) {
    if (line === "") continue;
    switch (manager) {
      case "apt": {
        const [name, status, version] = line.split("\t");
        if (name && status === "installed" && version) out.set(name, version);
        break;
      }
      case "dnf": {
        const [name, version] = line.split("\t");
        if (name && version) out.set(name, version);
        break;
      }
      case "apk": {
        const m = APK_LINE.exec(line);
        if (m) out.set(m[1]!, m[2]!);
        break;
      }
      case "pacman": {
        const [name, version, extra] = line.split(" ");
        if (name && version && extra === undefined) out.set(name, version);
        break;
      }
    }
  }
  return out;
}
