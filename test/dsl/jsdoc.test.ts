/**
 * Every DSL option and scope method carries a JSDoc `@example`: it is what editors show while
 * writing an infra file. Checked on the public interfaces of the DSL's source files.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { REPO } from "../helpers/cli.ts";

/** Files whose exported interfaces are what infra files write. */
const FILES = ["src/dsl/options.ts", "src/dsl/project.ts", "src/dsl/service.ts", "src/dsl/items.ts", "src/dsl/storage.ts", "src/runtime/sandbox.ts", "src/runtime/resources.ts", "src/model/mode.ts", "src/model/address.ts", "src/model/secret.ts"];

function missingExamples(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(REPO, file), "utf8"), ts.ScriptTarget.Latest, true);
  const missing: string[] = [];
  const hasExample = (node: ts.Node) => ts.getJSDocTags(node).some((t) => t.tagName.text === "example");
  const exported = (node: ts.Node) => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const where = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;

  for (const st of source.statements) {
    if (!exported(st)) continue;
    // Interface members: every option and scope method.
    if (ts.isInterfaceDeclaration(st)) {
      for (const m of st.members) if (!hasExample(m)) missing.push(`${where(m)} ${st.name.text}.${m.name?.getText(source)}`);
    }
    // Mapped option types (SandboxOptions, ResourceOptions): the one member template.
    if (ts.isTypeAliasDeclaration(st) && ts.isMappedTypeNode(st.type) && !hasExample(st.type)) {
      const member = st.type;
      const doc = member.getFullText(source);
      if (!doc.includes("@example")) missing.push(`${where(st)} ${st.name.text}[K]`);
    }
    // Public functions (project, secretEnv…) and the helper objects' methods (Storage, Sandbox, Resources).
    if (ts.isFunctionDeclaration(st) && !st.name?.text.startsWith("_") && !hasExample(st) && FUNCTIONS.has(st.name?.text ?? "")) missing.push(`${where(st)} ${st.name?.text}()`);
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || !HELPERS.has(d.name.text) || !d.initializer || !ts.isObjectLiteralExpression(d.initializer)) continue;
        for (const p of d.initializer.properties) if (!hasExample(p)) missing.push(`${where(p)} ${d.name.text}.${p.name?.getText(source)}`);
      }
    }
  }
  return missing;
}

/** Public functions infra files call. */
const FUNCTIONS = new Set(["project", "secretEnv"]);
/** Public helper objects infra files use. */
const HELPERS = new Set(["Storage", "Sandbox", "Resources"]);

test("every DSL option, scope method and helper has a JSDoc @example", () => {
  expect(FILES.flatMap(missingExamples)).toEqual([]);
});

test("the check finds a missing @example (it can fail)", () => {
  const text = "export interface X {\n  /** documented @example a: 1 */\n  a?: number;\n  /** no example */\n  b?: number;\n}\n";
  const source = ts.createSourceFile("x.ts", text, ts.ScriptTarget.Latest, true);
  const iface = source.statements[0] as ts.InterfaceDeclaration;
  const without = iface.members.filter((m) => !ts.getJSDocTags(m).some((t) => t.tagName.text === "example")).map((m) => m.name?.getText(source));
  expect(without).toEqual(["b"]);
});
