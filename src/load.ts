/**
 * Load an infra file: make `import … from "hostkit"` resolve to the DSL embedded in this binary,
 * evaluate the file (it never touches a host), and compile its default export.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
// Infra files get the DSL only: evaluating one never touches a host (programs use the package export, src/index.ts).
import * as hostkit from "./dsl/index.ts";
import type { ProjectDecl } from "./dsl/decl.ts";
import { displayPath, userFrame } from "./dsl/location.ts";
import { compile, type CompiledProject } from "./compile/index.ts";
import { HostKitError } from "./model/errors.ts";

let registered = false;

/** Register the runtime plugin that serves "hostkit" from the embedded DSL (works in --compile builds). */
export function registerHostkitModule(): void {
  if (registered) return;
  registered = true;
  Bun.plugin({
    name: "hostkit-dsl",
    setup(build) {
      build.module("hostkit", () => ({ exports: { ...hostkit }, loader: "object" }));
    },
  });
}

export interface LoadOptions {
  /** Files of project-local conventions imported before the infra file. */
  require?: string[];
}

async function importUserFile(file: string, what: string): Promise<Record<string, unknown>> {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new HostKitError({ subject: what, message: `file not found: ${file}` });
  try {
    return (await import(abs)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof HostKitError) throw e;
    throw userCodeError(e, displayPath(abs));
  }
}

/**
 * An exception from the user's code as one diagnostic at its location: a syntax error (Bun's
 * build messages carry the position) or anything thrown while evaluating (TypeError…), located
 * at the first stack frame in user code.
 */
function userCodeError(e: unknown, file: string): HostKitError {
  const err = e as Error & { errors?: unknown[]; position?: BuildPosition };
  const built = [err, ...(Array.isArray(err?.errors) ? err.errors : [])].find((x): x is { message: string; position: BuildPosition } => !!(x as { position?: unknown })?.position);
  if (built) {
    const { position } = built;
    return new HostKitError({
      source: { file: displayPath(resolve(position.file)), line: position.line },
      message: `syntax error: ${built.message}`,
      hint: `${position.lineText.trim()}`,
    });
  }
  const source = userFrame(String(err?.stack ?? "")) ?? { file, line: 0 };
  return new HostKitError({ source, message: `${err?.name ?? "Error"}: ${err?.message ?? String(e)}` });
}

interface BuildPosition {
  file: string;
  line: number;
  lineText: string;
}

export async function loadDecl(file: string, opts: LoadOptions = {}): Promise<ProjectDecl> {
  registerHostkitModule();
  for (const req of opts.require ?? []) await importUserFile(req, `--require ${req}`);
  const mod = await importUserFile(file, `infra file ${file}`);
  const decl = mod.default as ProjectDecl | undefined;
  if (!decl || typeof decl !== "object" || (decl as { kind?: unknown }).kind !== "hostkit.project") {
    throw new HostKitError({
      source: { file: displayPath(resolve(file)), line: 1 },
      message: "the infra file must `export default project(…)`",
      hint: 'import { project } from "hostkit"; export default project("name", (p) => { … });',
    });
  }
  return decl;
}

/**
 * Load and compile an infra file.
 * @example
 * const project = await load("infra/config.ts");
 */
export async function load(file: string, opts: LoadOptions = {}): Promise<CompiledProject> {
  return compile(await loadDecl(file, opts));
}
