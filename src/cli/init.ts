/**
 * `hostkit init [DIR|FILE]`: let editors type-check infra files offline. Writes the type
 * declarations of "hostkit" (the DSL and the runtime API) to `.hostkit/types/hostkit.d.ts`, Node's
 * types (process.env, node:fs, node:path, URL, console…) to `.hostkit/types/node/`, all embedded in
 * the binary at build time, and a `tsconfig.json` that uses them, next to the infra files; adds
 * `.hostkit/` to .gitignore. An existing tsconfig.json is kept unless `--force`.
 */
import { defineCommand } from "citty";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { HostKitError } from "../model/errors.ts";
import { commonArgs } from "./flags.ts";

/** Injected by build/compile.ts: the output of build/dsl-types.ts, and Node's types (gzipped JSON, path → text, base64). */
declare const HOSTKIT_DSL_TYPES: string | undefined;
declare const HOSTKIT_NODE_TYPES: string | undefined;
declare const HOSTKIT_BUN_TYPES: string | undefined;

/** Where the declarations go, relative to the folder being initialized. */
export const TYPES_PATH = ".hostkit/types/hostkit.d.ts";
export const TYPE_ROOT = ".hostkit/types";
export const BUN_TYPES_PATH = ".hostkit/types/bun.d.ts";

/** The tsconfig.json `hostkit init` writes. build/dsl-types.ts checks the declarations with it. */
export const INIT_TSCONFIG = {
  compilerOptions: {
    target: "ESNext",
    module: "Preserve",
    moduleResolution: "bundler",
    lib: ["ESNext"],
    // Node's types come from .hostkit/types/node (embedded in hostkit), never from node_modules.
    typeRoots: [TYPE_ROOT],
    types: ["node"],
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
  },
  include: ["**/*.ts", TYPES_PATH, BUN_TYPES_PATH],
};

interface TypeFiles {
  dsl: string;
  node: Record<string, string>;
  bun: string;
}

async function typeFiles(): Promise<TypeFiles> {
  if (typeof HOSTKIT_DSL_TYPES === "string" && typeof HOSTKIT_NODE_TYPES === "string" && typeof HOSTKIT_BUN_TYPES === "string") {
    const node = JSON.parse(new TextDecoder().decode(Bun.gunzipSync(Buffer.from(HOSTKIT_NODE_TYPES, "base64")))) as Record<string, string>;
    return { dsl: HOSTKIT_DSL_TYPES, node, bun: HOSTKIT_BUN_TYPES };
  }
  // Running from a checkout: generate them with the repository's TypeScript (a dev dependency).
  // The path is computed so that `bun build` never bundles the generator into the binary.
  const generator = join(import.meta.dir, "..", "..", "build", ["dsl-types", "ts"].join("."));
  try {
    const mod = (await import(generator)) as { generateDslTypes(): { text: string }; nodeTypeFiles(): Record<string, string>; BUN_GLOBALS: string };
    return { dsl: mod.generateDslTypes().text, node: mod.nodeTypeFiles(), bun: mod.BUN_GLOBALS };
  } catch (e) {
    throw new HostKitError({
      subject: "hostkit init",
      message: `this hostkit has no embedded type declarations and cannot generate them: ${(e as Error).message.split("\n")[0]}`,
      hint: "use a binary built with `bun run build`, or run from a checkout after `bun install`",
    });
  }
}

/** `.hostkit/` holds generated types and run records: never committed. Added to .gitignore once. */
function ignoreHostkitDir(dir: string): string | undefined {
  const file = join(dir, ".gitignore");
  const text = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (text !== undefined && text.split("\n").some((l) => /^\/?\.hostkit\/?$/.test(l.trim()))) return undefined;
  writeFileSync(file, `${text === undefined ? "" : text.endsWith("\n") || text === "" ? text : `${text}\n`}.hostkit/\n`);
  return text === undefined ? "wrote" : "updated";
}

export default defineCommand({
  meta: { name: "init", description: "Write tsconfig.json and the DSL's type declarations so editors type-check infra files" },
  args: {
    dir: { type: "positional", description: "Folder of the infra files, or an infra file (default: the current folder)", required: false },
    force: { type: "boolean", description: "Replace an existing tsconfig.json" },
    ...commonArgs,
  },
  async run({ args }) {
    const target = resolve(args.dir ?? ".");
    const dir = existsSync(target) && statSync(target).isFile() ? dirname(target) : target;
    if (!existsSync(dir)) throw new HostKitError({ subject: "hostkit init", message: `no such folder: ${args.dir}` });
    const show = (p: string) => relative(process.cwd(), p) || ".";

    const files = await typeFiles();
    const types = join(dir, TYPES_PATH);
    mkdirSync(dirname(types), { recursive: true });
    writeFileSync(types, files.dsl);
    writeFileSync(join(dir, BUN_TYPES_PATH), files.bun);
    const nodeRoot = join(dir, TYPE_ROOT, "node");
    rmSync(nodeRoot, { recursive: true, force: true }); // no stale files from another version
    for (const [rel, text] of Object.entries(files.node)) {
      mkdirSync(dirname(join(nodeRoot, rel)), { recursive: true });
      writeFileSync(join(nodeRoot, rel), text);
    }
    const lines = [`wrote ${show(types)}`, `wrote ${show(nodeRoot)}/ (Node's types, @types/node ${JSON.parse(files.node["package.json"] ?? "{}").version ?? "?"})`];
    const ignored = ignoreHostkitDir(dir);
    if (ignored) lines.push(`${ignored} ${show(join(dir, ".gitignore"))} (.hostkit/)`);

    const tsconfig = join(dir, "tsconfig.json");
    if (existsSync(tsconfig) && !args.force) {
      const mentions = readFileSync(tsconfig, "utf8").includes(TYPES_PATH);
      lines.push(
        mentions
          ? `kept ${show(tsconfig)} (it already includes ${TYPES_PATH})`
          : `kept ${show(tsconfig)}: add "${TYPES_PATH}" to its "include", or run hostkit init --force to replace it`,
      );
    } else {
      writeFileSync(tsconfig, `${JSON.stringify(INIT_TSCONFIG, null, 2)}\n`);
      lines.push(`wrote ${show(tsconfig)}`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  },
});
