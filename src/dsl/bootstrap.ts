/**
 * The `bootstrap` container: what a fresh host needs before anything else, OS packages by
 * distribution-neutral name and mise-managed runtimes.
 *
 *   p.bootstrap((b) => { b.package("ca_certificates"); b.mise({ tools: { erlang: "29.0.2" } }); });
 *
 * Valid at project level and inside `p.host(name, opts, (h) => h.bootstrap(…))` (then for that host
 * only). Packages become `package:<name>`; mise `mise:/usr/local/bin/mise` and `mise_tool:<tool>`,
 * installed after the packages of the same bootstrap (curl, ca-certificates…).
 */
import { HostKitError } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";
import type { ItemDecl } from "./decl.ts";
import { callerLocation } from "./location.ts";
import * as O from "./options.ts";
import { makeScope } from "./scope.ts";
import { runCallback } from "./collect.ts";
import { parseOptions } from "./validate.ts";
import { semanticNameProblem } from "../packages/installed.ts";

export interface BootstrapScope {
  /**
   * An OS package by its distribution-neutral name (looked up through Repology for the host's
   * distribution), or by its exact name with `as`.
   * @example b.package("ca_certificates")
   * @example b.package("build_essential", { as: "build-essential", update: true })
   */
  package(name: string, opts?: O.PackageOptions): void;
  /** mise and system-wide tools at exact versions. @example b.mise({ tools: { erlang: "29.0.2" } }) */
  mise(opts: O.MiseOptions): void;
}

export interface BootstrapMethods {
  /**
   * Host bootstrap: OS packages and mise runtimes.
   * @example p.bootstrap((b) => { b.package("ca_certificates"); b.mise({ tools: { erlang: "29.0.2" } }) })
   */
  bootstrap(cb: (b: BootstrapScope) => void): void;
}

/** A package declaration (shared with `s.package`): name checked here, options by their schema. */
export function packageItem(label: string, name: unknown, opts: unknown, source: SourceLoc): ItemDecl {
  const subject = `${label} › package ${JSON.stringify(name)}`;
  const problem = typeof name === "string" ? semanticNameProblem(name) : "a package name must be a string";
  if (problem) throw new HostKitError({ subject, source, message: problem, hint: 'names look like "ca_certificates"; give the exact distribution name with as:' });
  return { kind: "package", source, name: name as string, opts: parseOptions(O.PackageSchema, opts, subject, source) };
}

export function bootstrapMethods(label: string, add: (i: ItemDecl) => void): BootstrapMethods {
  return {
    bootstrap(cb) {
      const at = callerLocation();
      const inner = `${label} › bootstrap`;
      if (typeof cb !== "function") throw new HostKitError({ subject: inner, source: at, message: "expects a callback: bootstrap((b) => { … })" });
      const packages: string[] = [];
      let open = true;
      const methods: BootstrapScope = {
        package(name, opts) {
          const item = packageItem(inner, name, opts, callerLocation());
          packages.push(`package:${name}`);
          add(item);
        },
        mise(opts) {
          const source = callerLocation();
          const parsed = parseOptions(O.MiseSchema, opts, `${inner} › mise`, source);
          if (Object.keys(parsed.tools).length === 0) throw new HostKitError({ subject: `${inner} › mise`, key: "tools", source, message: "names no tool", hint: 'e.g. tools: { erlang: "29.0.2" }' });
          // Installed after the packages declared before it in this bootstrap (curl, ca-certificates…).
          add({ kind: "mise", source, opts: parsed, after: [...packages] });
        },
      };
      runCallback(cb, makeScope(inner, methods, () => open), inner, at);
      open = false;
    },
  };
}
