/**
 * The `host` container: `p.host(name, opts, (h) => { … })` declares what applies to that one host
 * (files, directories, commands, timers, packages…, and what providers and later kinds add: bootstrap,
 * firewall). Its resources carry `host: name` and are planned only against that host.
 */
import type { SourceLoc } from "../model/source.ts";
import type { HostDecl, ItemDecl, ProjectDecl } from "./decl.ts";
import { type ItemMethods, itemMethods } from "./items.ts";
import { makeScope } from "./scope.ts";
import { runCallback } from "./collect.ts";
import { type BootstrapMethods, bootstrapMethods } from "./bootstrap.ts";

export interface HostScope extends ItemMethods, BootstrapMethods {
  /** The host's name, as declared. @example h.name */
  readonly name: string;
}

export function declareHost(project: ProjectDecl, host: HostDecl, cb: (h: HostScope) => void, source: SourceLoc): void {
  const label = `host "${host.name}"`;
  const add = (i: ItemDecl) => host.items.push(i);
  let open = true;
  const methods: HostScope = { ...itemMethods(label, add, project), ...bootstrapMethods(label, add), name: host.name };
  runCallback(cb, makeScope(label, methods, () => open), label, source);
  open = false;
}
