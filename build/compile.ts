/**
 * Build the single `hostkit` binary: `bun build --compile --minify --bytecode src/main.ts`, with the git
 * commit and the DSL's editor type declarations (build/dsl-types.ts, for `hostkit init`) injected
 * as `--define` constants. Uses Bun.build, the API form of the same command, because the type
 * declarations are a define too large for one command-line argument.
 *
 *   bun run build                                   # → dist/hostkit for this machine
 *   bun build/compile.ts --outfile /tmp/hostkit     # somewhere else
 *   bun build/compile.ts --target bun-linux-arm64 --outfile dist/hostkit-linux-arm64
 *
 * HOSTKIT_BUILD_COMMIT overrides the commit (for builds outside a git checkout).
 */
import { mkdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BUN_GLOBALS, generateDslTypes, nodeTypeFiles } from "./dsl-types.ts";

const REPO = resolve(import.meta.dir, "..");

/** The commit this tree is: short hash, `-dirty` when tracked files differ from it. */
export function buildCommit(): string {
  if (process.env.HOSTKIT_BUILD_COMMIT) return process.env.HOSTKIT_BUILD_COMMIT;
  const git = (...args: string[]) => Bun.spawnSync(["git", ...args], { cwd: REPO, stdout: "pipe", stderr: "ignore" });
  const head = git("rev-parse", "--short=12", "HEAD");
  if (head.exitCode !== 0) return "unknown";
  const dirty = git("diff", "--quiet", "HEAD", "--").exitCode !== 0;
  return `${head.stdout.toString().trim()}${dirty ? "-dirty" : ""}`;
}

export interface CompileOptions {
  outfile: string;
  /** A Bun compile target such as `bun-linux-arm64`; default this machine. */
  target?: string;
}

export async function compileBinary(opts: CompileOptions): Promise<{ outfile: string; commit: string }> {
  const commit = buildCommit();
  const types = generateDslTypes().text;
  mkdirSync(dirname(opts.outfile), { recursive: true });
  const result = await Bun.build({
    entrypoints: [join(REPO, "src/main.ts")],
    compile: opts.target ? { target: opts.target as Bun.Build.CompileTarget, outfile: opts.outfile } : { outfile: opts.outfile },
    minify: true,
    // Precompiled bytecode: `hostkit --version` starts in ~20 ms instead of ~55 ms, because the
    // bundle (ssh2 and all verbs) is no longer parsed at every start.
    bytecode: true,
    format: "esm",
    define: {
      // Never bake the builder's NODE_ENV (`test` under bun test) into the binary: consola would go
      // silent in every user's terminal.
      "process.env.NODE_ENV": JSON.stringify("production"),
      HOSTKIT_BUILD_COMMIT: JSON.stringify(commit),
      HOSTKIT_DSL_TYPES: JSON.stringify(types),
      // Node's types for `hostkit init` (~2 MB of text, gzipped): infra files use process.env, node:fs…
      HOSTKIT_NODE_TYPES: JSON.stringify(Buffer.from(Bun.gzipSync(JSON.stringify(nodeTypeFiles()))).toString("base64")),
      HOSTKIT_BUN_TYPES: JSON.stringify(BUN_GLOBALS),
    },
  });
  if (!result.success) {
    throw new Error(`bun build failed:\n${result.logs.map((l) => String(l)).join("\n")}`);
  }
  return { outfile: opts.outfile, commit };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { outfile: { type: "string" }, target: { type: "string" } },
  });
  const outfile = resolve(values.outfile ?? join(REPO, "dist", "hostkit"));
  const started = performance.now();
  const { commit } = await compileBinary({ outfile, ...(values.target ? { target: values.target } : {}) });
  const took = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`built ${relative(process.cwd(), outfile) || outfile} (commit ${commit}) in ${took}s\n`);
}
