/**
 * `hostkit init [DIR|FILE]`: let editors type-check infra files offline. Writes the DSL's type
 * declarations (embedded in the binary at build time) to `.hostkit/types/hostkit.d.ts` and a
 * `tsconfig.json` that includes them, next to the infra files. An existing tsconfig.json is kept
 * unless `--force`.
 */
import { defineCommand } from "citty";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { HostKitError } from "../model/errors.ts";
import { commonArgs } from "./flags.ts";

/** Injected by build/compile.ts: the output of build/dsl-types.ts. */
declare const HOSTKIT_DSL_TYPES: string | undefined;

/** Where the declarations go, relative to the folder being initialized. */
export const TYPES_PATH = ".hostkit/types/hostkit.d.ts";

/** The tsconfig.json `hostkit init` writes. build/dsl-types.ts checks the declarations with it. */
export const INIT_TSCONFIG = {
  compilerOptions: {
    target: "ESNext",
    module: "Preserve",
    moduleResolution: "bundler",
    lib: ["ESNext"],
    types: [] as string[],
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
  },
  include: ["**/*.ts", TYPES_PATH],
};

async function dslTypes(): Promise<string> {
  if (typeof HOSTKIT_DSL_TYPES === "string") return HOSTKIT_DSL_TYPES;
  // Running from a checkout: generate them with the repository's TypeScript (a dev dependency).
  // The path is computed so that `bun build` never bundles the generator into the binary.
  const generator = join(import.meta.dir, "..", "..", "build", ["dsl-types", "ts"].join("."));
  try {
    const mod = (await import(generator)) as { generateDslTypes(): { text: string } };
    return mod.generateDslTypes().text;
  } catch (e) {
    throw new HostKitError({
      subject: "hostkit init",
      message: `this hostkit has no embedded type declarations and cannot generate them: ${(e as Error).message.split("\n")[0]}`,
      hint: "use a binary built with `bun run build`, or run from a checkout after `bun install`",
    });
  }
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

    const types = join(dir, TYPES_PATH);
    mkdirSync(dirname(types), { recursive: true });
    writeFileSync(types, await dslTypes());
    const lines = [`wrote ${show(types)}`];

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
