/**
 * The package facts of a host, read in the planner's single probe round trip (a `FactDef`, so once
 * per host whatever the number of package resources): its os-release, which package managers it
 * has, and the installed set of each manager — ONE list query per manager, never one per package.
 */
import { defineFact, type ProbeOutput } from "../model/kind.ts";
import { text } from "../targets/runner.ts";
import { listInstalledQuery, parseInstalledList } from "./installed.ts";
import { MANAGER_BINARY, PACKAGE_MANAGERS, parseOsRelease, repologyRepository, type OsRelease, type PackageManager } from "./os-release.ts";

export interface PackageHost {
  os: OsRelease;
  /** The Repology repository id of this system, when HostKit can name one. */
  repository?: string;
  /** Managers whose binary is on the host. */
  available: PackageManager[];
  /** Installed name → version, per available manager. */
  installed: Partial<Record<PackageManager, Map<string, string>>>;
  /** A manager whose list query failed as a whole (its own error line). */
  failed: Partial<Record<PackageManager, string>>;
  /**
   * apt with no package index at all (`/var/lib/apt/lists` empty, as in fresh containers and many cloud
   * images): an install would only say "Unable to locate package", so it refreshes the index first.
   */
  noIndex?: boolean;
}

/** Exit 0 when apt has at least one package index (`ROOT/var/lib/apt/lists/*_Packages*`). */
const APT_INDEX = 'for f in "$1"/var/lib/apt/lists/*_Packages*; do [ -e "$f" ] && exit 0; done; exit 1';

/**
 * Which manager binaries exist: a fixed program (no interpolation; the root is `$1`), looking in the
 * standard directories so an offline tree is judged by its own files, not the controller's PATH.
 */
const FIND_MANAGERS = `for b in ${PACKAGE_MANAGERS.map((m) => MANAGER_BINARY[m]).join(" ")}; do for d in /usr/bin /bin /usr/sbin /sbin /usr/local/bin; do if [ -x "$1$d/$b" ]; then echo "$b"; break; fi; done; done; exit 0`;



export const packageHostFact = defineFact<PackageHost>({
  name: "packages.host",
  probe: (ctx) => [
    // os-release(5): /etc/os-release, else /usr/lib/os-release (never both).
    ["sh", "-c", 'if [ -e "$1/etc/os-release" ]; then exec cat -- "$1/etc/os-release"; else exec cat -- "$1/usr/lib/os-release"; fi', "hostkit-os-release", (ctx.root ?? "").replace(/\/+$/, "")],
    ["sh", "-c", FIND_MANAGERS, "hostkit-managers", (ctx.root ?? "").replace(/\/+$/, "")],
    ...PACKAGE_MANAGERS.map((m) => listInstalledQuery(m, ctx.root)),
    ["sh", "-c", APT_INDEX, "hostkit-apt-index", (ctx.root ?? "").replace(/\/+$/, "")],
  ],
  parse(out: ProbeOutput[]): PackageHost {
    const os = parseOsRelease(out[0]?.code === 0 ? text(out[0].stdout) : "");
    const found = new Set(text(out[1]?.stdout ?? new Uint8Array()).split("\n"));
    const available = PACKAGE_MANAGERS.filter((m) => found.has(MANAGER_BINARY[m]));
    const installed: PackageHost["installed"] = {};
    const failed: PackageHost["failed"] = {};
    PACKAGE_MANAGERS.forEach((m, i) => {
      if (!available.includes(m)) return;
      const o = out[2 + i];
      try {
        installed[m] = parseInstalledList(m, { code: o?.code ?? 127, stdout: text(o?.stdout ?? new Uint8Array()), stderr: text(o?.stderr ?? new Uint8Array()) });
      } catch (e) {
        failed[m] = (e as Error).message;
      }
    });
    const repository = repologyRepository(os);
    const noIndex = available.includes("apt") && out[2 + PACKAGE_MANAGERS.length]?.code === 1;
    return { os, ...(repository ? { repository } : {}), available, installed, failed, ...(noIndex ? { noIndex: true } : {}) };
  },
});

