/** @internal The `service` container: its scope and path/identity helpers. */
import { HostKitError } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";
import type { ItemDecl, ProjectDecl, ServiceDecl } from "./decl.ts";
import { callerLocation } from "./location.ts";
import * as O from "./options.ts";
import { type ItemMethods, itemMethods } from "./items.ts";
import { makeScope } from "./scope.ts";
import { runCallback } from "./collect.ts";
import { parseOptions } from "./validate.ts";
import { hostPath } from "./paths.ts";
import { normalizeAddress, connectHost } from "../model/address.ts";
import { accountNameProblem, checkUnitName } from "./names.ts";

export interface ServiceScope extends ItemMethods {
  /** The service's name. @example s.name // "exograph" */
  readonly name: string;
  /** `<root>/<service>` for a declared root. @example s.rootPath("source") // "/opt/toys/src/exograph" */
  rootPath(root: string): string;
  /** The service account name, `<user prefix><name>`. @example s.serviceUser() // "toys-exograph" */
  serviceUser(): string;
  /** The unit name, `<unit prefix><name>.service`. @example s.unitName() // "toys-exograph.service" */
  unitName(): string;
  /** Paths of the storage declared writable so far. @example run: { readWritePaths: s.writableStoragePaths() } */
  writableStoragePaths(): string[];
  /** `host:port` of a listener declared by this service's daemon. @example s.listenerAddress("http") // "127.0.0.1:4000" */
  listenerAddress(name: string): string;
  /** The service account. @example s.account({ system: true }) */
  account(opts?: O.AccountOptions): void;
  /** A named storage directory at `<root>/<service>`. @example s.storage("data", { mode: 0o750 }) */
  storage(name: string, opts?: O.StorageOptions): string;
  /** An env file at `<config root>/<service>/<name>.env`. @example s.env("runtime", { set: { PORT: 4000 } }) */
  env(name: string, opts?: O.EnvOptions): string;
  /** The service's long-running systemd unit. @example s.daemon({ exec: ["/opt/web/bin/server"] }) */
  daemon(opts: O.DaemonOptions): void;
}

const SERVICE_NAME = /^[a-z][a-z0-9_-]{0,47}$/;

export function declareService(project: ProjectDecl, name: string, cb: (s: ServiceScope) => void, source: SourceLoc): ServiceDecl {
  if (typeof name !== "string" || !SERVICE_NAME.test(name)) {
    throw new HostKitError({
      subject: `service ${JSON.stringify(name)}`,
      source,
      message: "a service name must start with a lowercase letter and contain only a-z, 0-9, '_' and '-' (at most 48)",
    });
  }
  if (project.services.some((s) => s.name === name)) {
    throw new HostKitError({ subject: `service "${name}"`, source, message: "declared twice in this project" });
  }
  if (typeof cb !== "function") throw new HostKitError({ subject: `service "${name}"`, source, message: "expects a callback: service(name, (s) => { … })" });
  const svc: ServiceDecl = {
    name,
    source,
    user: `${project.prefixes.user}${name}`,
    unit: `${project.prefixes.unit}${name}.service`,
    items: [],
  };
  project.services.push(svc);
  const label = `service "${name}"`;
  const add = (item: ItemDecl) => svc.items.push(item);
  const rootPath = (root: string, at: SourceLoc, where?: { subject: string; key: string; why: string }) => {
    const base = project.roots[root];
    if (base === undefined) {
      const known = Object.keys(project.roots);
      const roots = known.length ? `declared roots: ${known.join(", ")}` : "declare roots with p.roots({ … }) before the services that use them";
      throw new HostKitError({
        subject: where?.subject ?? label,
        key: where?.key ?? `rootPath(${JSON.stringify(root)})`,
        source: at,
        message: `unknown root "${root}"`,
        hint: where ? `${where.why}; ${roots}` : roots,
      });
    }
    return `${base}/${name}`;
  };
  let open = true;
  const methods = {
    ...itemMethods(label, add, project, svc),
    name,
    rootPath: (root: string) => rootPath(root, callerLocation()),
    serviceUser: () => svc.user,
    unitName: () => svc.unit,
    writableStoragePaths: () =>
      svc.items.flatMap((i) => (i.kind === "storage" && i.opts.writable !== false ? [i.path] : [])),
    listenerAddress(listener: string) {
      const at = callerLocation();
      for (const i of svc.items) {
        if (i.kind !== "daemon") continue;
        const l = i.opts.listen?.[listener];
        if (l) {
          const on = normalizeAddress(l.on ?? "loopback");
          return `${connectHost(typeof on === "string" ? on : "loopback")}:${l.port}`;
        }
      }
      throw new HostKitError({ subject: label, key: `listener "${listener}"`, source: at, message: "unknown listener (declare it in daemon({ listen: { … } }) first)" });
    },
    account(opts?: O.AccountOptions) {
      const source = callerLocation();
      const parsed = parseOptions(O.AccountSchema, opts, `${label} › account`, source);
      if (svc.items.some((i) => i.kind === "account")) throw new HostKitError({ subject: `${label} › account`, source, message: "a service has one account" });
      const problem = accountNameProblem(svc.user);
      if (problem) throw new HostKitError({ subject: `${label} › account`, source, message: `account name ${JSON.stringify(svc.user)} (user prefix + service name) ${problem}` });
      add({ kind: "account", source, name: svc.user, opts: parsed });
    },
    storage(storageName: string, opts?: O.StorageOptions) {
      const source = callerLocation();
      const subject = `${label} › storage "${storageName}"`;
      const parsed = parseOptions(O.StorageSchema, opts, subject, source);
      if (svc.items.some((i) => i.kind === "storage" && i.name === storageName)) throw new HostKitError({ subject, source, message: "declared twice" });
      const base = rootPath(parsed.under ?? storageName, source, {
        subject,
        key: "under",
        why: parsed.under ? "storage lives under the root named by `under`" : `without \`under\`, storage lives under the root of its own name ("${storageName}")`,
      });
      const path = hostPath(parsed.path ? `${base}/${parsed.path}` : base, subject, source, "path");
      add({ kind: "storage", source, name: storageName, path, opts: parsed });
      return path;
    },
    env(envName: string, opts?: O.EnvOptions) {
      const source = callerLocation();
      const subject = `${label} › env "${envName}"`;
      if (!/^[a-z_][a-z0-9_-]*$/.test(envName)) throw new HostKitError({ subject, source, message: "an env name contains only a-z, 0-9, '_' and '-'" });
      const parsed = parseOptions(O.EnvSchema, opts, subject, source);
      if (project.roots.config === undefined) {
        throw new HostKitError({ subject, source, message: "needs a `config` root for its path", hint: "declare p.roots({ config: \"/etc/<project>\" }) or use envFile(path, …)" });
      }
      const path = `${project.roots.config}/${name}/${envName}.env`;
      add({ kind: "env", source, name: envName, path, opts: parsed });
      return path;
    },
    daemon(opts: O.DaemonOptions) {
      const source = callerLocation();
      const subject = `${label} › daemon`;
      const parsed = parseOptions(O.DaemonSchema, opts, subject, source) as O.DaemonOptions;
      if (svc.items.some((i) => i.kind === "daemon")) throw new HostKitError({ subject, source, message: "a service has one daemon (use timer() or another service for more units)" });
      const unit = parsed.name ?? svc.unit;
      checkUnitName(unit, ".service", subject, source);
      add({ kind: "daemon", source, unit, opts: parsed });
    },
  };
  runCallback(cb, makeScope(label, methods, () => open), label, source);
  open = false;
  return svc;
}



