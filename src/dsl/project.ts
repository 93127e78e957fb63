/** The `project` container: the root of every infra file. */
import { HostKitError } from "../model/errors.ts";
import type { HostDecl, ItemDecl, ProjectDecl } from "./decl.ts";
import { callerLocation } from "./location.ts";
import * as O from "./options.ts";
import { type ItemMethods, itemMethods } from "./items.ts";
import { makeScope } from "./scope.ts";
import { declareCollecting, runCallback } from "./collect.ts";
import { declareService, type ServiceScope } from "./service.ts";
import { declareHost, type HostScope } from "./host.ts";
import { type BootstrapMethods, bootstrapMethods } from "./bootstrap.ts";
import { declareInstance, type InstanceOptions, type InstanceScope } from "./instance.ts";
import { parseOptions } from "./validate.ts";
import { accountNameProblem, prefixProblem } from "./names.ts";
import { hostPath } from "./paths.ts";
import { isProvider, type Provider } from "../model/provider.ts";
import { declareFirewall, locationOr, type FirewallScope } from "./firewall.ts";

export interface ProjectScope extends ItemMethods, BootstrapMethods {
  /** Named filesystem roots. @example p.roots({ source: "/opt/toys/src", data: "/srv/toys", state: "/var/lib/toys", config: "/etc/toys" }) */
  roots(roots: O.Roots): void;
  /** Name prefixes for accounts and units. @example p.prefixes({ user: "toys-", unit: "toys-" }) */
  prefixes(prefixes: O.Prefixes): void;
  /**
   * An existing host to plan and apply against; with a callback, declarations for this host only.
   * @example p.host("prod", { at: "elixir.toys", ssh: { user: "dannote", sudo: true } })
   * @example p.host("edge", { at: "10.0.0.7" }, (h) => { h.file("/etc/motd", { content: "edge\n" }) })
   */
  host(name: string, opts: O.HostOptions, cb?: (h: HostScope) => void): void;
  /**
   * A lifecycle-managed machine (Incus container or VM) on the controller, and the contents of the
   * host inside it.
   * @example p.instance("demo_vm", { backend: incus({ sudo: true }), image: "debian/12", expose: { ssh: { host: 2222, guest: 22 } } }, (i) => { i.host("guest", { at: "127.0.0.1", ssh: { port: 2222 } }) })
   */
  instance(name: string, opts: InstanceOptions, cb?: (i: InstanceScope) => void): void;
  /** A service: its account, storage, env files, daemon, timers and commands. @example p.service("web", (s) => { s.daemon({ exec: ["/opt/web/bin/server"] }) }) */
  service(name: string, cb: (s: ServiceScope) => void): void;
  /** A standalone account. @example p.account("app", { system: true, rollback: "keep" }) */
  account(name: string, opts?: O.AccountOptions): void;
  /** Where tracked runs and backups are kept. @example p.runs({ root: ".hostkit/runs" }) */
  runs(opts: O.RunsOptions): void;
  /**
   * Register a provider: its declarations can then be added anywhere in the project.
   * @example p.provider(caddy({ sitesDir: "/etc/caddy/sites" }))
   */
  provider(provider: Provider): void;
  /**
   * The firewall policy of every host (nftables, table inet hostkit only); hosts refine it.
   * @example p.firewall((f) => { f.allow({ tcp: 22, from: "any" }); f.allow({ tcp: [80, 443], from: "any" }); f.deny("all") })
   */
  firewall(cb: (f: FirewallScope) => void): void;
}

const PROJECT_NAME = /^[a-z][a-z0-9_-]{0,47}$/;

/**
 * Declare a project. The default export of an infra file.
 * @example
 * export default project("toys", (p) => {
 *   p.roots({ data: "/srv/toys" });
 *   p.service("web", (s) => s.daemon({ exec: ["/opt/web/bin/server"] }));
 * });
 */
export function project(name: string, cb: (p: ProjectScope) => void): ProjectDecl {
  const source = callerLocation();
  if (typeof name !== "string" || !PROJECT_NAME.test(name)) {
    throw new HostKitError({ subject: `project ${JSON.stringify(name)}`, source, message: "a project name must start with a lowercase letter and contain only a-z, 0-9, '_' and '-'" });
  }
  if (typeof cb !== "function") throw new HostKitError({ subject: `project "${name}"`, source, message: "expects a callback: project(name, (p) => { … })" });
  const decl: ProjectDecl = {
    kind: "hostkit.project",
    name,
    source,
    roots: {},
    prefixes: { user: "", unit: "" },
    runs: {},
    hosts: [],
    services: [],
    items: [],
    providers: [],
  };
  const label = `project "${name}"`;
  const add = (i: ItemDecl) => decl.items.push(i);
  let open = true;
  const methods: ProjectScope = {
    ...itemMethods(label, add, decl),
    ...bootstrapMethods(label, add),
    roots(roots) {
      const at = callerLocation();
      const parsed = parseOptions(O.RootsSchema, roots, `${label} › roots`, at);
      // Services build their paths on these: each is checked (no '..', not '/') and normalised here.
      // A refused root still exists by name (a placeholder, never applied: the load fails), so its
      // uses are not reported again as "unknown root".
      for (const k of Object.keys(parsed)) decl.roots[k] ??= "/.hostkit-refused-root";
      for (const [k, path] of Object.entries(parsed)) decl.roots[k] = hostPath(path, `${label} › roots`, at, k);
    },
    prefixes(prefixes) {
      const at = callerLocation();
      const p = parseOptions(O.PrefixesSchema, prefixes, `${label} › prefixes`, at);
      if (decl.services.length || decl.items.some((i) => i.kind === "timer")) {
        throw new HostKitError({ subject: `${label} › prefixes`, source: at, message: "must come before the first service or timer (their names use the prefixes)" });
      }
      for (const [k, val] of Object.entries(p)) {
        const problem = val === undefined ? undefined : prefixProblem(val, k as "user" | "unit");
        if (problem) throw new HostKitError({ subject: `${label} › prefixes`, key: k, source: at, message: problem });
      }
      decl.prefixes = { user: p.user ?? decl.prefixes.user, unit: p.unit ?? decl.prefixes.unit };
    },
    host(hostName, opts, hostCb) {
      const at = callerLocation();
      const subject = `host ${JSON.stringify(hostName)}`;
      if (typeof hostName !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(hostName)) throw new HostKitError({ subject, source: at, message: "a host name contains only letters, digits, '_', '.', '-'" });
      if (decl.hosts.some((h) => h.name === hostName)) throw new HostKitError({ subject, source: at, message: "declared twice" });
      const parsed = parseOptions(O.HostSchema, opts, subject, at);
      const host: HostDecl = { name: hostName, source: at, at: parsed.at, ssh: parsed.ssh ?? {}, items: [] };
      decl.hosts.push(host);
      if (hostCb !== undefined) declareHost(decl, host, hostCb, at);
    },
    service(svcName, svcCb) {
      declareService(decl, svcName, svcCb, callerLocation());
    },
    instance(instName, opts, instCb) {
      declareInstance(decl, instName, opts, instCb, callerLocation());
    },
    account(accountName, opts) {
      const at = callerLocation();
      const subject = `${label} › account ${JSON.stringify(accountName)}`;
      const problem = accountNameProblem(accountName);
      if (problem) throw new HostKitError({ subject, source: at, message: `an account name ${problem}` });
      add({ kind: "account", source: at, name: accountName, opts: parseOptions(O.AccountSchema, opts, subject, at) });
    },
    runs(opts) {
      const at = callerLocation();
      decl.runs = parseOptions(O.RunsSchema, opts, `${label} › runs`, at);
    },
    provider(prov) {
      const at = callerLocation();
      if (!isProvider(prov)) throw new HostKitError({ subject: `${label} › provider`, source: at, message: "expects a provider, like caddy({ sitesDir: \"/etc/caddy/sites\" })" });
      if (decl.providers.some((x) => x.name === prov.name)) throw new HostKitError({ subject: `${label} › provider ${JSON.stringify(prov.name)}`, source: at, message: "registered twice" });
      decl.providers.push(prov);
    },
    firewall(cb) {
      decl.firewall = declareFirewall(label, decl.firewall, cb, locationOr(source));
    },
  };
  declareCollecting(decl, () => runCallback(cb, makeScope(label, methods, () => open), label, source));
  open = false;
  return decl;
}
