/**
 * mise as data: the install-script op (the mise.run contract: `MISE_INSTALL_PATH`), the system-wide
 * tool install argv (`mise install --system tool@version` with `MISE_SYSTEM_DATA_DIR`), and the ONE
 * query that reads every installed version (`mise ls --installed --json`) with its parser.
 * Reference: packages.md §4.
 */

export const MISE_PATH = "/usr/local/bin/mise";
export const DEFAULT_INSTALL_URL = "https://mise.run";
export const DEFAULT_DATA_DIR = "/usr/local/share/mise";

/**
 * Downloads the install script with curl or wget (whichever the host has) into a private temp file
 * and runs it with `MISE_INSTALL_PATH`. Fixed program: the URL and path arrive as `$1`, `$2`.
 */
export const INSTALL_MISE = [
  "set -eu",
  't=$(mktemp)',
  "trap 'rm -f \"$t\"' 0",
  'if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$t" -- "$1"',
  'elif command -v wget >/dev/null 2>&1; then wget -q -O "$t" -- "$1"',
  'else echo "installing mise needs curl or wget on the host (declare b.package(\\"curl\\") in the same bootstrap)" >&2; exit 1; fi',
  'MISE_INSTALL_PATH="$2" MISE_INSTALL_HELP=0 MISE_QUIET=1 sh "$t"',
  'if ! [ -x "$2" ]; then echo "the install script from $1 did not install $2" >&2; exit 1; fi',
].join("\n");

/** The environment every mise command runs with: system installs, no prompts, no colour. */
export function miseEnv(dataDir: string): string[] {
  return ["env", `MISE_SYSTEM_DATA_DIR=${dataDir}`, "MISE_YES=1", "NO_COLOR=1"];
}

/** Read mise's version and every installed tool version (system and user; the parser keeps system ones). */
export function miseProbe(path: string, dataDir: string): string[][] {
  return [[...miseEnv(dataDir), path, "--version"], [...miseEnv(dataDir), path, "ls", "--installed", "--json"]];
}

export function installToolArgv(path: string, dataDir: string, tool: string, version: string): string[] {
  return [...miseEnv(dataDir), path, "install", "--system", `${tool}@${version}`];
}

/**
 * `mise ls --installed --json` (no tool argument) → tool → versions installed under the system data
 * directory. The output is `{tool: [{version, install_path, …}]}`; user installs (under
 * `~/.local/share/mise`) are listed too and are not ours. Hostile output is ignored, never trusted.
 */
export function parseMiseLs(stdout: string, dataDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    return out;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return out;
  const prefix = `${dataDir.replace(/\/+$/, "")}/installs/`;
  for (const [tool, list] of Object.entries(doc as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    for (const e of list) {
      const o = e as { version?: unknown; install_path?: unknown; installed?: unknown };
      if (typeof o?.version !== "string" || typeof o.install_path !== "string" || o.installed === false) continue;
      if (!o.install_path.startsWith(prefix)) continue;
      out.set(tool, [...(out.get(tool) ?? []), o.version]);
    }
  }
  return out;
}
