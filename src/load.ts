/**
 * Load an infra file: make `import … from "hostkit"` resolve to the DSL embedded in this binary,
 * evaluate the file (it never touches a host), and compile its default export.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
// Infra files get the DSL only: evaluating one never touches a host (programs use the package export, src/index.ts).
import * as hostkit from "./dsl/index.ts";
import type { ProjectDecl } from "./dsl/decl.ts";
import { displayPath, userFrame } from "./dsl/location.ts";
import { compile, type CompiledProject } from "./compile/index.ts";
import { HostKitError, type Diagnostic } from "./model/errors.ts";
import { collectSync, DeclarationErrors, EARLIER, MAX_DIAGNOSTICS } from "./dsl/collect.ts";
import { closestName, lineOf } from "./dsl/import-errors.ts";
import { PROVIDER_MODULES } from "./providers.ts";

let registered = false;

/** Register the runtime plugin that serves "hostkit" from the embedded DSL (works in --compile builds). */
export function registerHostkitModule(): void {
  if (registered) return;
  registered = true;
  Bun.plugin({
    name: "hostkit-dsl",
    setup(build) {
      build.module("hostkit", () => ({ exports: { ...hostkit }, loader: "object" }));
      for (const [name, m] of Object.entries(PROVIDER_MODULES)) build.module(name, () => ({ exports: { ...m.exports }, loader: "object" }));
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
  const resolveError = importProblem(err, file);
  if (resolveError) return new HostKitError(resolveError);
  const source = userFrame(String(err?.stack ?? "")) ?? { file, line: 1 };
  // Mistakes project() recorded before the infra file's own code threw come first.
  const earlier = (err as { [EARLIER]?: Diagnostic[] })?.[EARLIER] ?? [];
  return new HostKitError([...earlier, { source, message: `${err?.name ?? "Error"}: ${err?.message ?? String(e)}` }]);
}

/**
 * An import that cannot be resolved (`./nope.ts`) or a name a module does not export (`projet`):
 * Bun reports these without a position, naming its own bundle as the importer. Locate the import
 * in the infra file's text and name the module's real exports.
 */
function importProblem(err: Error & { specifier?: string; referrer?: string }, file: string): Diagnostic | undefined {
  const missingExport = /Export named '([^']+)' not found in module '([^']+)'/.exec(err?.message ?? "");
  const unresolved = err?.name === "ResolveMessage" || /^Cannot find (?:module|package) ['"]([^'"]+)['"]/.test(err?.message ?? "");
  if (!missingExport && !unresolved) return undefined;
  const text = (() => {
    try {
      return readFileSync(resolve(file), "utf8");
    } catch {
      return "";
    }
  })();
  if (missingExport) {
    const [, name, from] = missingExport;
    const isHostkit = from === "hostkit" || /\$bunfs|\/src\/index\.ts$/.test(from!);
    const names = isHostkit ? Object.keys(hostkit) : [];
    const near = closestName(name!, names);
    return {
      source: { file, line: lineOf(text, new RegExp(`\\b${name}\\b`)) },
      message: `"${name}" is not exported by ${isHostkit ? '"hostkit"' : JSON.stringify(from)}`,
      ...(near ? { hint: `did you mean ${near}?` } : isHostkit ? { hint: `"hostkit" exports: ${names.slice(0, 12).join(", ")}${names.length > 12 ? ", …" : ""}` } : {}),
    };
  }
  const spec = err.specifier ?? /['"]([^'"]+)['"]/.exec(err.message)?.[1] ?? "";
  const escaped = spec.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return {
    source: { file, line: lineOf(text, new RegExp(`['"]${escaped}['"]`)) },
    message: `cannot find module ${JSON.stringify(spec)}`,
    hint: spec.startsWith(".") ? "the path is relative to this file; check its name and extension" : "infra files can import \"hostkit\", node: modules and files relative to them",
  };
}

interface BuildPosition {
  file: string;
  line: number;
  lineText: string;
}

/** Import the infra file (after --require files) and return its default export, checked. */
async function evaluate(file: string, opts: LoadOptions): Promise<ProjectDecl> {
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

/** File order (a stable sort: diagnostics without a line keep their place at the end). */
function inFileOrder(list: Diagnostic[]): Diagnostic[] {
  return list
    .map((d, i) => ({ d, i }))
    .sort((x, y) => (x.d.source?.line ?? Infinity) - (y.d.source?.line ?? Infinity) || x.i - y.i)
    .map((x) => x.d);
}

/** compile() with a collector open: all its mistakes, not only the first. */
function compileCollecting(decl: ProjectDecl): { project?: CompiledProject; diagnostics: Diagnostic[]; error?: unknown } {
  const { value, error, diagnostics } = collectSync(() => compile(decl));
  if (error instanceof HostKitError) return { diagnostics: [...diagnostics, ...error.diagnostics] };
  return { ...(value ? { project: value } : {}), diagnostics, ...(error !== undefined ? { error } : {}) };
}

export async function loadDecl(file: string, opts: LoadOptions = {}): Promise<ProjectDecl> {
  return evaluate(file, opts);
}

/**
 * Load and compile an infra file. Every mistake the DSL and the compiler find is reported at once,
 * in file order (up to 20).
 * @example
 * const project = await load("infra/config.ts");
 */
export async function load(file: string, opts: LoadOptions = {}): Promise<CompiledProject> {
  let decl: ProjectDecl;
  try {
    decl = await evaluate(file, opts);
  } catch (e) {
    if (!(e instanceof DeclarationErrors)) throw e;
    // Compile what could be declared: its mistakes join the list (an exception there is a
    // consequence of the ones already found, and left out).
    const more = compileCollecting(e.partial as ProjectDecl).diagnostics;
    throw new HostKitError(inFileOrder([...e.diagnostics, ...more]).slice(0, MAX_DIAGNOSTICS));
  }
  const { project, diagnostics, error } = compileCollecting(decl);
  if (error !== undefined) throw error;
  if (diagnostics.length) throw new HostKitError(inFileOrder(diagnostics));
  return project!;
}
