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
import { declareFirewall, locationOr, type FirewallScope } from "./firewall.ts";

export interface HostScope extends ItemMethods, BootstrapMethods {
  /** The host's name, as declared. @example h.name */
  readonly name: string;
  /** This host's firewall rules, after the project's; its deny/allow("all") overrides the project's default. @example h.firewall((f) => f.allow({ tcp: 9100, from: [10, 44, 0, 0, 24] })) */
  firewall(cb: (f: FirewallScope) => void): void;
}

export function declareHost(project: ProjectDecl, host: HostDecl, cb: (h: HostScope) => void, source: SourceLoc): void {
  const label = `host "${host.name}"`;
  const add = (i: ItemDecl) => host.items.push(i);
  let open = true;
  const methods: HostScope = {
    ...itemMethods(label, add, project),
    ...bootstrapMethods(label, add),
    name: host.name,
    firewall(fcb) {
      const all = (project.hostFirewalls ??= {});
      all[host.name] = declareFirewall(label, all[host.name], fcb, locationOr(source));
    },
  };
  runCallback(cb, makeScope(label, methods, () => open), label, source);
  open = false;
}
