/**
 * The DSL's type declarations as ONE self-contained file, for editors (`hostkit init` writes it
 * next to infra files; `build/compile.ts` embeds it in the binary).
 *
 * tsc emits a .d.ts per source module reachable from `src/dsl/index.ts`; this file turns them into
 * ambient modules (`declare module "hostkit" { … }`, `declare module "hostkit/internal/…" { … }`)
 * with relative imports rewritten, and drops everything that needs a package the user does not
 * have: the valibot schemas are load-time validation, not part of what an infra file writes.
 * The result is checked by compiling a probe infra file against it; any error fails the build.
 *
 *   bun build/dsl-types.ts [OUT]     # print (or write) the bundle
 */
import { dirname, join, relative, resolve } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import ts from "typescript";
import { INIT_TSCONFIG } from "../src/cli/init.ts";
import { PROVIDER_MODULES } from "../src/providers.ts";

const REPO = resolve(import.meta.dir, "..");

/**
 * Public module name → source entry. Providers add lines here ("hostkit/caddy"…). The entry is the
 * whole "hostkit" module: the DSL and the runtime API (load, plan, apply, formatPlan, Target…).
 */
export const TYPE_ENTRIES: Record<string, string> = {
  hostkit: "src/index.ts",
  // Built-in providers ("hostkit/caddy"…), from their one line in src/providers.ts.
  ...Object.fromEntries(Object.entries(PROVIDER_MODULES).map(([name, m]) => [name, m.types])),
};

/** Packages whose types are left out: only load-time validation uses them. */
const DROPPED_PACKAGES = /^(valibot|@valibot\/.*)$/;

export interface DslTypes {
  /** The bundle: one .d.ts of ambient modules. */
  text: string;
  /** Modules it declares. */
  modules: string[];
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(REPO, "tsconfig.json");
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO);
  return {
    ...parsed.options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    removeComments: false,
    outDir: join(REPO, ".dsl-types-out"),
    rootDir: join(REPO, "src"),
    // Emit only: the repository's own `bun run check` type-checks these sources.
    noCheck: true,
    types: [],
  };
}

/** Emit declarations for every source file reachable from the entries, in memory. */
function emitDeclarations(): Map<string, string> {
  const options = compilerOptions();
  const roots = Object.values(TYPE_ENTRIES).map((e) => join(REPO, e));
  const program = ts.createProgram(roots, options);
  const out = new Map<string, string>();
  const result = program.emit(undefined, (fileName, text) => {
    if (fileName.endsWith(".d.ts")) out.set(relative(options.outDir!, fileName).replace(/\.d\.ts$/, ""), text);
  });
  const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(ts.formatDiagnostics(errors, formatHost));
  expandSchemaTypes(out, program);
  return out;
}

/**
 * Types inferred from valibot schemas (`export type Plan = v.InferOutput<typeof PlanSchema>`) would
 * need valibot's types; replace each with the structural type the checker computes for it, so the
 * runtime API's types (Plan, Change, Resource…) reach editors without any package.
 */
function expandSchemaTypes(emitted: Map<string, string>, program: ts.Program): void {
  const checker = program.getTypeChecker();
  const flags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias | ts.TypeFormatFlags.UseStructuralFallback;
  for (const [id, text] of emitted) {
    const source = program.getSourceFile(join(REPO, "src", `${id}.ts`));
    if (!source) continue;
    const expanded = text.replace(/^(\s*export type (\w+) = )v\.Infer(?:Output|Input)<typeof \w+>;$/gm, (whole, head: string, name: string) => {
      const decl = source.statements.find((st): st is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(st) && st.name.text === name);
      if (!decl) return whole;
      const type = checker.getTypeFromTypeNode(decl.type);
      return `${head}${checker.typeToString(type, undefined, flags)};`;
    });
    emitted.set(id, expanded);
  }
}

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => REPO,
  getNewLine: () => "\n",
};

/** `src/`-relative module id (no extension) of a relative specifier seen in module `from`. */
function resolveRelative(from: string, spec: string): string {
  return join(dirname(from), spec).replace(/\.(d\.ts|ts|js)$/, "");
}

interface ParsedModule {
  id: string;
  source: ts.SourceFile;
}

/** Names a top-level statement declares. */
function declaredNames(st: ts.Statement): string[] {
  if (ts.isVariableStatement(st)) return st.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
  const named = st as ts.Statement & { name?: ts.Node };
  return named.name && ts.isIdentifier(named.name) ? [named.name.text] : [];
}

function mentions(node: ts.Node, names: Set<string>): boolean {
  let found = false;
  const visit = (n: ts.Node) => {
    if (found) return;
    if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal) && DROPPED_PACKAGES.test(n.argument.literal.text)) {
      found = true;
      return;
    }
    if (ts.isIdentifier(n) && names.has(n.text)) {
      // `x.v` (a property named like a dropped binding) is not a reference to it.
      const p = n.parent;
      if (p && ts.isPropertyAccessExpression(p) && p.name === n) return;
      if (p && ts.isQualifiedName(p) && p.right === n) return;
      if (p && (ts.isPropertySignature(p) || ts.isPropertyDeclaration(p)) && p.name === n) return;
      found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** Build the single-file bundle. Throws with tsc's diagnostics if the result does not type-check. */
export function generateDslTypes(): DslTypes {
  const emitted = emitDeclarations();
  const entryIds = new Map(Object.entries(TYPE_ENTRIES).map(([name, src]) => [src.replace(/^src\//, "").replace(/\.ts$/, ""), name]));
  const moduleName = (id: string) => entryIds.get(id) ?? `hostkit/internal/${id}`;

  // Reachable modules, starting at the entries.
  const modules = new Map<string, ParsedModule>();
  const queue = [...entryIds.keys()];
  while (queue.length) {
    const id = queue.shift()!;
    if (modules.has(id)) continue;
    const text = emitted.get(id);
    if (text === undefined) throw new Error(`no declarations emitted for ${id}`);
    const source = ts.createSourceFile(`${id}.d.ts`, text, ts.ScriptTarget.Latest, true);
    modules.set(id, { id, source });
    const visit = (n: ts.Node) => {
      if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier) && n.moduleSpecifier.text.startsWith(".")) {
        queue.push(resolveRelative(id, n.moduleSpecifier.text));
      }
      if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal) && n.argument.literal.text.startsWith(".")) {
        queue.push(resolveRelative(id, n.argument.literal.text));
      }
      ts.forEachChild(n, visit);
    };
    visit(source);
  }

  // Fixpoint: drop imports of DROPPED_PACKAGES, then every statement using what was dropped, across modules.
  const dropped = new Map<string, Set<string>>([...modules.keys()].map((id) => [id, new Set<string>()]));
  const droppedStatements = new Set<ts.Statement>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const { id, source } of modules.values()) {
      const localDropped = new Set<string>();
      for (const st of source.statements) {
        if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
        const spec = st.moduleSpecifier.text;
        const clause = st.importClause;
        const targetDropped = spec.startsWith(".") ? dropped.get(resolveRelative(id, spec)) : undefined;
        const all = DROPPED_PACKAGES.test(spec);
        if (clause?.name && all) localDropped.add(clause.name.text);
        const nb = clause?.namedBindings;
        if (nb && ts.isNamespaceImport(nb) && all) localDropped.add(nb.name.text);
        if (nb && ts.isNamedImports(nb)) {
          for (const el of nb.elements) if (all || targetDropped?.has((el.propertyName ?? el.name).text)) localDropped.add(el.name.text);
        }
      }
      for (const st of source.statements) {
        if (droppedStatements.has(st) || ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) continue;
        if (mentions(st, localDropped) || mentions(st, dropped.get(id)!)) {
          droppedStatements.add(st);
          for (const n of declaredNames(st)) dropped.get(id)!.add(n);
          changed = true;
        }
      }
    }
  }

  const rewrite = (id: string, spec: string) => (spec.startsWith(".") ? moduleName(resolveRelative(id, spec)) : spec);
  const blocks: string[] = [];
  for (const { id, source } of modules.values()) {
    const parts: string[] = [];
    for (const st of source.statements) {
      if (droppedStatements.has(st)) continue;
      if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
        const spec = st.moduleSpecifier.text;
        if (DROPPED_PACKAGES.test(spec)) continue;
        if (!spec.startsWith(".")) throw new Error(`${id}.d.ts imports ${spec}: the editor types must not need packages (add it to DROPPED_PACKAGES or avoid it in the DSL's types)`);
        const target = dropped.get(resolveRelative(id, spec))!;
        const named = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : st.exportClause;
        if (named && (ts.isNamedImports(named) || ts.isNamedExports(named))) {
          const kept = (named.elements as ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>).filter((el) => !target.has((el.propertyName ?? el.name).text));
          if (!kept.length) continue;
          const typeOnly = ts.isImportDeclaration(st) ? st.importClause?.isTypeOnly : st.isTypeOnly;
          const keyword = ts.isImportDeclaration(st) ? "import" : "export";
          parts.push(`${keyword}${typeOnly ? " type" : ""} { ${kept.map((el) => el.getText(source)).join(", ")} } from "${rewrite(id, spec)}";`);
          continue;
        }
        parts.push(st.getText(source).replace(st.moduleSpecifier.getText(source), JSON.stringify(rewrite(id, spec))));
        continue;
      }
      // Keep JSDoc (leading trivia); `declare` is implied inside `declare module`.
      let text = st.getFullText(source).replace(/^\s*\n/, "");
      text = text.replace(/^(\s*(?:\/\*\*[\s\S]*?\*\/\s*)?(?:export )?)declare /, "$1");
      text = text.replace(/import\("(\.[^"]+)"\)/g, (_m, spec: string) => `import("${rewrite(id, spec)}")`);
      parts.push(text.trimEnd());
    }
    blocks.push(`declare module "${moduleName(id)}" {\n${indent(parts.join("\n"))}\n}`);
  }
  const header = [
    "// Type declarations of the HostKit DSL, for editors: `import { project } from \"hostkit\"`.",
    "// Generated by `hostkit init` from the binary that wrote it; do not edit (run `hostkit init` again).",
    "",
  ].join("\n");
  const text = `${header}${blocks.join("\n\n")}\n`;
  if (!process.env.HOSTKIT_DSL_TYPES_NO_CHECK) selfCheck(text);
  return { text, modules: [...modules.keys()].map(moduleName) };
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => (l.length ? `  ${l}` : l))
    .join("\n");
}

/**
 * Node's type declarations (@types/node, MIT), embedded so infra files can use `process.env`,
 * `node:fs`, `node:path`, `URL`, `console`… with nothing installed: `hostkit init` writes them to
 * `.hostkit/types/node/` (a type root of the tsconfig it writes), with undici-types (MIT) which
 * they import. Relative path → text.
 */
export function nodeTypeFiles(): Record<string, string> {
  const root = join(REPO, "node_modules/@types/node");
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const out: Record<string, string> = {
    "package.json": `${JSON.stringify({ name: "@types/node", version: pkg.version, license: "MIT", types: "index.d.ts" }, null, 2)}\n`,
    LICENSE: readFileSync(join(root, "LICENSE"), "utf8"),
  };
  for (const f of new Bun.Glob("**/*.d.ts").scanSync(root)) {
    if (f.startsWith("ts5.6/")) continue; // for TypeScript 5.6 and older only (typesVersions)
    out[f] = readFileSync(join(root, f), "utf8");
  }
  // @types/node's fetch types come from undici-types (MIT): beside it, where module resolution looks.
  const undici = join(REPO, "node_modules/undici-types");
  for (const f of new Bun.Glob("*.d.ts").scanSync(undici)) out[`node_modules/undici-types/${f}`] = readFileSync(join(undici, f), "utf8");
  out["node_modules/undici-types/package.json"] = readFileSync(join(undici, "package.json"), "utf8");
  return out;
}

/** What Bun adds to `import.meta` (infra files run on Bun): declared beside Node's types. */
export const BUN_GLOBALS = [
  "// Bun's additions to import.meta (infra files run on Bun). Written by `hostkit init`.",
  "interface ImportMeta {",
  "  /** The folder of this file. */",
  "  readonly dir: string;",
  "  readonly dirname: string;",
  "  /** The file name, without its folder. */",
  "  readonly file: string;",
  "  /** The absolute path of this file. */",
  "  readonly path: string;",
  "  readonly filename: string;",
  "  /** True in the entry file. */",
  "  readonly main: boolean;",
  "}",
  "",
].join("\n");

/** Compile probe files against the bundle, Node's types and the init tsconfig alone (no node_modules). */
function selfCheck(bundle: string): void {
  const dir = "/__hostkit_types_check__";
  const node = Object.fromEntries(Object.entries(nodeTypeFiles()).map(([f, text]) => [`${dir}/.hostkit/types/node/${f}`, text]));
  const files: Record<string, string> = {
    ...node,
    [`${dir}/.hostkit/types/hostkit.d.ts`]: bundle,
    [`${dir}/.hostkit/types/bun.d.ts`]: BUN_GLOBALS,
    [`${dir}/program.ts`]: [
      'import { readFileSync } from "node:fs";',
      'import { join } from "node:path";',
      'import { load, plan, formatPlan, Target, type Plan } from "hostkit";',
      "const project = await load(join(import.meta.dir, process.env.INFRA ?? \"config.ts\"));",
      'const p: Plan = await plan(project, { target: Target.root("/tmp/x") });',
      "console.log(formatPlan(p), new URL(\"https://example.com\").host, readFileSync(\"/etc/hostname\", \"utf8\"));",
    ].join("\n"),
    [`${dir}/probe.ts`]: [
      'import { project, secretEnv, Storage, Sandbox, Resources, type ServiceScope } from "hostkit";',
      "const helper = (s: ServiceScope) => s.rootPath(\"data\");",
      'export default project("probe", (p) => {',
      '  p.roots({ data: "/srv/probe" });',
      '  p.host("h", { at: "h.example", ssh: { password: secretEnv("PW") } });',
      '  p.service("web", (s) => { helper(s); s.daemon({ exec: ["/bin/true"], isolate: { ...Sandbox.new("strict_app") }, resources: Resources.new({ profile: "small" }) }); });',
      '  p.directory(...Storage.directory(Storage.volume("v", { path: "/srv/v" })));',
      "});",
    ].join("\n"),
  };
  // The options `hostkit init` writes, but also checking the declaration file itself.
  const converted = ts.convertCompilerOptionsFromJson(INIT_TSCONFIG.compilerOptions, dir);
  if (converted.errors.length) throw new Error(ts.formatDiagnostics(converted.errors, formatHost));
  const options: ts.CompilerOptions = { ...converted.options, skipLibCheck: false };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => files[f] ?? readFile(f);
  host.fileExists = (f) => f in files || fileExists(f);
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (d) => Object.keys(files).some((f) => f.startsWith(`${d}/`)) || !!directoryExists?.(d);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (f in files ? ts.createSourceFile(f, files[f]!, lang) : getSourceFile(f, lang, ...rest));
  const program = ts.createProgram([`${dir}/probe.ts`, `${dir}/program.ts`, `${dir}/.hostkit/types/hostkit.d.ts`, `${dir}/.hostkit/types/bun.d.ts`], options, host);
  const diags = ts.getPreEmitDiagnostics(program);
  if (diags.length) throw new Error(`the generated DSL types do not type-check:\n${ts.formatDiagnostics(diags, formatHost)}`);
}

if (import.meta.main) {
  const { text } = generateDslTypes();
  const out = process.argv[2];
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}
