/**
 * Make a release folder from a compiled hostkit binary.
 *
 *   bun build/release.ts                       # dist/hostkit -> dist/release/
 *   bun build/release.ts path/to/hostkit       # another binary
 *   bun build/release.ts --out DIR             # another release folder
 *   bun build/release.ts --os linux --arch arm64 dist/hostkit-linux-arm64
 *                                              # a cross-compiled binary
 *
 * The folder gets `hostkit-<os>-<arch>` (mode 0755) and `SHA256SUMS`, the
 * layout install.sh downloads from. SHA256SUMS is regenerated from every
 * `hostkit-<os>-<arch>` file in the folder, so running this once per platform
 * into the same folder assembles a multi-platform release.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

export const RELEASE_OSES = ["linux", "darwin"] as const;
export const RELEASE_ARCHES = ["x64", "arm64"] as const;
export type ReleaseOs = (typeof RELEASE_OSES)[number];
export type ReleaseArch = (typeof RELEASE_ARCHES)[number];

const ASSET_RE = /^hostkit-(linux|darwin)-(x64|arm64)$/;

export interface ReleaseOptions {
  /** The compiled binary. */
  binary: string;
  /** The release folder; created if missing. */
  outDir: string;
  os: ReleaseOs;
  arch: ReleaseArch;
}

export interface ReleaseResult {
  asset: string;
  assetPath: string;
  sha256: string;
  sumsPath: string;
}

function isOs(value: string): value is ReleaseOs {
  return (RELEASE_OSES as readonly string[]).includes(value);
}

function isArch(value: string): value is ReleaseArch {
  return (RELEASE_ARCHES as readonly string[]).includes(value);
}

/** The release os name of the machine running this script. */
export function hostOs(): ReleaseOs {
  const p = process.platform;
  if (isOs(p)) return p;
  throw new Error(`unsupported platform ${p}; pass --os (${RELEASE_OSES.join("|")})`);
}

/** The release arch name of the machine running this script. */
export function hostArch(): ReleaseArch {
  const a = process.arch;
  if (isArch(a)) return a;
  throw new Error(`unsupported architecture ${a}; pass --arch (${RELEASE_ARCHES.join("|")})`);
}

export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(await Bun.file(path).arrayBuffer());
  return hasher.digest("hex");
}

/** Write `content` to `path` via a temp file + rename. */
function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export async function makeRelease(opts: ReleaseOptions): Promise<ReleaseResult> {
  const binary = resolve(opts.binary);
  if (!existsSync(binary)) {
    throw new Error(`binary not found: ${opts.binary} (build it first: bun run build)`);
  }
  if (!statSync(binary).isFile()) {
    throw new Error(`not a regular file: ${opts.binary}`);
  }

  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });

  const asset = `hostkit-${opts.os}-${opts.arch}`;
  const assetPath = join(outDir, asset);
  if (binary !== assetPath) {
    const tmp = `${assetPath}.tmp-${process.pid}`;
    copyFileSync(binary, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, assetPath);
  } else {
    chmodSync(assetPath, 0o755);
  }

  const assets = readdirSync(outDir)
    .filter((name) => ASSET_RE.test(name) && statSync(join(outDir, name)).isFile())
    .sort();
  const lines: string[] = [];
  let sha256 = "";
  for (const name of assets) {
    const sum = await sha256File(join(outDir, name));
    if (name === asset) sha256 = sum;
    lines.push(`${sum}  ${name}`);
  }
  const sumsPath = join(outDir, "SHA256SUMS");
  writeAtomic(sumsPath, lines.join("\n") + "\n");

  return { asset, assetPath, sha256, sumsPath };
}

const USAGE = `Usage: bun build/release.ts [BINARY] [--out DIR] [--os linux|darwin] [--arch x64|arm64]

Copy BINARY (default dist/hostkit) to DIR/hostkit-<os>-<arch> (default DIR:
dist/release) and regenerate DIR/SHA256SUMS. --os/--arch default to this
machine; set them for a cross-compiled binary.`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: "string", short: "o" },
        os: { type: "string" },
        arch: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`release: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) {
    console.error(`release: expected at most one BINARY argument, got ${positionals.length}\n\n${USAGE}`);
    return 2;
  }
  if (values.os !== undefined && !isOs(values.os)) {
    console.error(`release: --os must be one of ${RELEASE_OSES.join(", ")}, got ${values.os}`);
    return 2;
  }
  if (values.arch !== undefined && !isArch(values.arch)) {
    console.error(`release: --arch must be one of ${RELEASE_ARCHES.join(", ")}, got ${values.arch}`);
    return 2;
  }

  try {
    const result = await makeRelease({
      binary: positionals[0] ?? "dist/hostkit",
      outDir: values.out ?? "dist/release",
      os: values.os ?? hostOs(),
      arch: values.arch ?? hostArch(),
    });
    console.log(`${result.assetPath}\n${result.sha256}  ${result.asset}\nwrote ${result.sumsPath}`);
    return 0;
  } catch (e) {
    console.error(`release: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (import.meta.main) {
  process.exit(await main(process.argv.slice(2)));
}
