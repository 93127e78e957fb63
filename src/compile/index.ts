/**
 * Declarations → a flat, ordered list of resources per project, with roots, prefixes and service
 * conventions applied. Pure: no I/O.
 */
import type { ItemDecl, ProjectDecl, ServiceDecl, HostDecl } from "../dsl/decl.ts";
import { HostKitError, type Diagnostic } from "../model/errors.ts";
import { record } from "../dsl/collect.ts";
import { kindOf } from "../kinds/registry.ts";
import { formatMode, implausibleMode, normalizeMode, octalReading } from "../model/mode.ts";
import { modeLiteral } from "./mode-literal.ts";
import { addImplicitRequires } from "./requires.ts";
import { compileProviders } from "./providers.ts";
import { wireNotify } from "./notify.ts";
import { compileInstances } from "./instances.ts";
import { dependencyOrder } from "../plan/order.ts";
import { normalizeAddress } from "../model/address.ts";
import { isSecretRef, type SecretRef } from "../model/secret.ts";
import { formatLoc, type SourceLoc } from "../model/source.ts";
import { type Resource, type SystemdService, resourceKey } from "../model/resource.ts";
import { checkProgram, daemonSections, networkOptions, isolationOptions, resolveEnvFiles, type DaemonContext } from "./daemon.ts";
import { SectionBuilder, checkSectionValues } from "./unit.ts";
import { Sandbox } from "../runtime/sandbox.ts";
import { hostPath, normalizeHostPath } from "../dsl/paths.ts";
import { DEFAULT_DATA_DIR, DEFAULT_INSTALL_URL, MISE_PATH } from "../packages/mise.ts";
import { escapeSpecifiers, execLine, quoteArg } from "../render/systemd-quote.ts";
import { compileFirewall } from "../firewall/compile.ts";

export interface CompiledProject {
  project: string;
  source: SourceLoc;
  hosts: Omit<HostDecl, "items">[];
  /** Declaration names of `p.instance(…)`s (their targets: src/targets/resolve.ts). */
  instances?: string[];
  runs: ProjectDecl["runs"];
  resources: Resource[];
}


function mode(value: unknown, fallback: number, subject: string, source: SourceLoc): number {
  if (value === undefined) return fallback;
  const m = normalizeMode(value);
  if (typeof m !== "number") throw new HostKitError({ subject, key: "mode", source, message: m.error });
  if (typeof value === "number") checkNumericMode(m, subject, source);
  return m;
}

/** `mode: 750` (decimal) is refused with the octal it meant; a computed nonsense mode too. */
function checkNumericMode(m: number, subject: string, source: SourceLoc): void {
  const literal = modeLiteral(source);
  if (literal && /^[1-9][0-9_]*$/.test(literal) && m > 7) {
    const hint = octalReading(m) !== undefined ? `did you mean 0o${m}? (decimal ${m} is 0o${formatMode(m)})` : `modes are octal: decimal ${m} is 0o${m.toString(8)}; write it as 0o${m.toString(8)} if that is what you mean`;
    throw new HostKitError({ subject, key: "mode", source, message: `mode ${m} is written as a decimal number`, hint });
  }
  const why = implausibleMode(m);
  if (why) {
    const octal = octalReading(m);
    throw new HostKitError({ subject, key: "mode", source, message: `mode ${why}`, hint: octal !== undefined ? `did you mean 0o${m}? (decimal ${m} is 0o${formatMode(m)})` : "write modes as 0o… literals or aliases such as \"private_file\"" });
  }
}

interface Scope {
  label: string;
  service?: ServiceDecl;
  /** Default owner of directories: the service account when the service declares one. */
  owner: string;
  storage: Map<string, string>;
  envs: Map<string, string>;
  /** The default group for an owner: a declared account's primary group, else the owner's name. */
  groupOf: (owner: string) => string;
}

function compileItems(project: ProjectDecl, items: ItemDecl[], scope: Scope, out: Resource[]) {
  // One item at a time, so that while load() collects (src/dsl/collect.ts) a bad item is recorded
  // and the next one still compiled: every mistake of a file is reported at once.
  if (items.length > 1) {
    for (const item of items) {
      try {
        compileItems(project, [item], scope, out);
      } catch (e) {
        if (!record(e)) throw e;
      }
    }
    return;
  }
  for (const item of items) {
    const subject = `${scope.label} › ${item.kind}${identity(item)}`;
    const first = out.length;
    compileItem(project, item, subject, scope, out);
    // `dependsOn: [keys]`: explicit edges on every resource the declaration produced (compile/requires.ts checks them).
    const dependsOn = "opts" in item ? (item.opts as { dependsOn?: string[] } | undefined)?.dependsOn : undefined;
    if (dependsOn?.length) for (let k = first; k < out.length; k++) out[k] = { ...out[k]!, requires: [...(out[k]!.requires ?? []), ...dependsOn] };
  }
}

function compileItem(project: ProjectDecl, item: ItemDecl, subject: string, scope: Scope, out: Resource[]) {
  const svc = scope.service;
  const base = (source: SourceLoc) => ({ source, ...(svc ? { service: svc.name } : {}) });
  {
    switch (item.kind) {
      case "account": {
        const o = item.opts;
        const shell = o.shell ?? (o.system ? "/usr/sbin/nologin" : undefined);
        out.push({
          ...base(item.source),
          type: "account",
          id: item.name,
          name: item.name,
          system: o.system ?? false,
          ...(o.home ? { home: o.home } : {}),
          ...(shell ? { shell } : {}),
          ...(o.group ? { group: o.group } : {}),
          groups: o.groups ?? [],
          rollback: o.rollback ?? "keep",
        });
        break;
      }
      case "storage":
      case "directory": {
        const o = item.opts;
        const owner = o.owner ?? scope.owner;
        const secret = item.kind === "storage" && item.opts.secret;
        const m = mode(o.mode, secret ? 0o750 : 0o755, subject, item.source);
        if (secret && m & 0o007) {
          throw new HostKitError({ subject, key: "mode", source: item.source, message: `secret storage must not be accessible to others (mode ${formatMode(m)})` });
        }
        out.push({ ...base(item.source), type: "directory", id: item.path, path: item.path, owner, group: o.group ?? scope.groupOf(owner), mode: m, rollback: o.rollback ?? "keep", ...(o.unsafeParents ? { unsafeParents: true } : {}), ...(item.kind === "storage" && item.opts.backup ? { backup: true } : {}) });
        break;
      }
      case "file": {
        const o = item.opts;
        const owner = o.owner ?? "root";
        out.push({
          ...base(item.source),
          type: "file",
          id: item.path,
          path: item.path,
          ...(item.contentSource ? { contentSource: item.contentSource } : item.content !== undefined ? { content: item.content } : { contentBase64: item.contentBase64 }),
          owner,
          group: o.group ?? scope.groupOf(owner),
          mode: mode(o.mode, 0o644, subject, item.source),
          rollback: o.rollback ?? "delete",
          ...(o.unsafeParents ? { unsafeParents: true } : {}),
        });
        break;
      }
      case "env": {
        const o = item.opts;
        const set: Record<string, string> = {};
        for (const [k, val] of Object.entries(o.set ?? {})) set[k] = String(val);
        const secret: Record<string, SecretRef> = {};
        for (const [k, ref] of Object.entries(o.secret ?? {})) secret[k] = isSecretRef(ref) ? ref : { $secret: { env: ref.env } };
        for (const k of Object.keys(secret)) {
          if (k in set) throw new HostKitError({ subject, key: `secret.${k}`, source: item.source, message: "also given in `set`" });
        }
        const owner = o.owner ?? "root";
        out.push({
          ...base(item.source),
          type: "env_file",
          id: item.path,
          path: item.path,
          ...(item.name ? { name: item.name } : {}),
          set,
          secret,
          owner,
          group: o.group ?? scope.groupOf(owner),
          mode: mode(o.mode, 0o600, subject, item.source),
          rollback: "delete",
          ...(o.unsafeParents ? { unsafeParents: true } : {}),
        });
        break;
      }
      case "daemon": {
        const ctx = daemonContext(project, scope, subject, item.source);
        const d = item.opts;
        const listeners = Object.entries(d.listen ?? {}).map(([name, l]) => {
          const on = normalizeAddress(l.on ?? "loopback");
          if (typeof on !== "string") throw new HostKitError({ subject, key: `listen.${name}.on`, source: item.source, message: on.error });
          return { name, port: l.port, on };
        });
        const envPaths = resolveEnvFiles(d.env, ctx, "env");
        const unit: SystemdService = {
          ...base(item.source),
          type: "systemd_service",
          id: item.unit,
          name: item.unit,
          sections: daemonSections(d, ctx),
          enable: d.enable !== false,
          start: d.start !== false,
          listeners,
          ...(d.monitor ? { monitor: d.monitor } : {}),
          restartOn: envPaths.map((p) => `env_file:${p}`),
          rollback: "delete",
        };
        out.push(unit);
        break;
      }
      case "timer": {
        const ctx = daemonContext(project, scope, subject, item.source);
        const o = item.opts;
        const svcUnit = item.unit.replace(/\.timer$/, ".service");
        checkProgram(o.exec, ctx, "exec[0]");
        const job = new SectionBuilder()
          .set("Unit", "Description", escapeSpecifiers(o.description ?? `${item.name} job (managed by HostKit)`))
          .set("Unit", "X-HostKit-Project", project.name)
          .set("Service", "Type", "oneshot")
          .set("Service", "User", o.user ?? ctx.user);
        for (const p of resolveEnvFiles(o.env, ctx, "env")) job.set("Service", "EnvironmentFile", escapeSpecifiers(p));
        job.set("Service", "ExecStart", execLine(o.exec));
        const iso = isolationOptions(o.isolate, ctx);
        job.setAll("Service", Sandbox.toSystemdServiceOptions(iso.sandbox));
        if (iso.writable.length) job.set("Service", "ReadWritePaths", [...new Set(iso.writable)].map(quoteArg).join(" "));
        job.setAll("Service", networkOptions(iso.network, undefined, ctx));
        out.push({ ...base(item.source), type: "systemd_service", id: svcUnit, name: svcUnit, sections: checkSectionValues(job.build(), subject, item.source), enable: false, start: false, listeners: [], restartOn: [], rollback: "delete" });
        const timer = new SectionBuilder()
          .set("Unit", "Description", escapeSpecifiers(o.description ?? `${item.name} timer (managed by HostKit)`))
          .set("Unit", "X-HostKit-Project", project.name)
          .set("Timer", "OnCalendar", o.onCalendar)
          .set("Timer", "OnBootSec", o.onBootSec)
          .set("Timer", "OnUnitActiveSec", o.onUnitActiveSec)
          .set("Timer", "RandomizedDelaySec", o.randomizedDelaySec)
          .set("Timer", "Persistent", o.persistent === undefined ? undefined : o.persistent ? "true" : "false")
          .set("Timer", "Unit", svcUnit)
          .set("Install", "WantedBy", "timers.target");
        out.push({ ...base(item.source), type: "systemd_timer", id: item.unit, name: item.unit, sections: checkSectionValues(timer.build(), subject, item.source), enable: true, start: true, rollback: "delete", requires: [`systemd_service:${svcUnit}`] });
        break;
      }
      case "command": {
        const o = item.opts;
        const ctx = daemonContext(project, scope, subject, item.source);
        out.push({
          ...base(item.source),
          type: "command",
          id: item.name,
          name: item.name,
          exec: o.exec,
          phase: o.phase ?? "before_start",
          when: o.when ?? "changed",
          down: o.down ?? "irreversible",
          ...((o.user ?? ctx.user) ? { user: o.user ?? ctx.user } : {}),
          ...(o.workingDirectory ? { workingDirectory: o.workingDirectory } : {}),
          env: resolveEnvFiles(o.env, ctx, "env"),
        });
        break;
      }
      case "resource": {
        const kind = kindOf(item.type);
        if (!kind?.compile) throw new HostKitError({ subject, source: item.source, message: `no kind ${item.type} compiles declarations` });
        out.push(kind.compile({ id: item.id, opts: item.opts }, { ...base(item.source), owner: scope.owner, groupOf: scope.groupOf }) as Resource);
        break;
      }
      case "package": {
        const o = item.opts;
        out.push({
          ...base(item.source),
          type: "package",
          id: item.name,
          name: item.name,
          ...(o.as ? { as: o.as } : {}),
          ...(o.manager ? { manager: o.manager } : {}),
          ...(o.version ? { version: o.version } : {}),
          update: o.update ?? false,
          rollback: o.rollback ?? "keep",
        });
        break;
      }
      case "provided":
        break; // compiled by its provider, after the built-in declarations (compile/providers.ts)
      case "mise": {
        const o = item.opts;
        const path = MISE_PATH;
        const dataDir = hostPath(o.dataDir ?? DEFAULT_DATA_DIR, subject, item.source, "dataDir");
        out.push({ ...base(item.source), type: "mise", id: path, path, installUrl: o.installUrl ?? DEFAULT_INSTALL_URL, dataDir, ...(item.after.length ? { requires: item.after } : {}) });
        for (const [tool, version] of Object.entries(o.tools)) {
          out.push({ ...base(item.source), type: "mise_tool", id: tool, tool, version, mise: path, dataDir, requires: [`mise:${path}`] });
        }
        break;
      }
    }
  }
}

/** How a declaration is named in diagnostics, after its kind: ` "/etc/x.conf"`, ` "migrate"`. */
function identity(item: ItemDecl): string {
  switch (item.kind) {
    case "directory":
    case "file":
      return ` ${JSON.stringify(item.path)}`;
    case "env":
      return ` ${JSON.stringify(item.name ?? item.path)}`;
    case "daemon":
    case "mise":
      return "";
    case "resource":
      return ` ${JSON.stringify(item.id)}`;
    case "provided":
      return ` ${item.decl.subject}`;
    default:
      return ` ${JSON.stringify(item.name)}`;
  }
}

function daemonContext(project: ProjectDecl, scope: Scope, subject: string, source: SourceLoc): DaemonContext {
  const hasAccount = scope.service?.items.some((i) => i.kind === "account");
  return {
    subject,
    source,
    project: project.name,
    ...(scope.service ? { service: scope.service.name } : {}),
    ...(hasAccount ? { user: scope.service!.user } : {}),
    storage: scope.storage,
    envs: scope.envs,
  };
}

/** Compile a project declaration. Throws one HostKitError listing every diagnostic found. */
export function compile(project: ProjectDecl): CompiledProject {
  const resources: Resource[] = [];
  const primary = new Map<string, string>();
  for (const i of [...project.items, ...project.services.flatMap((x) => x.items)]) {
    if (i.kind === "account" && i.opts.group) primary.set(i.name, i.opts.group);
  }
  const groupOf = (owner: string) => primary.get(owner) ?? owner;
  compileItems(project, project.items, { label: `project "${project.name}"`, owner: "root", storage: new Map(), envs: envMap(project.items), groupOf }, resources);
  for (const svc of project.services) {
    const hasAccount = svc.items.some((i) => i.kind === "account");
    const storage = new Map(svc.items.flatMap((i) => (i.kind === "storage" ? [[i.name, i.path] as const] : [])));
    const mine: Resource[] = [];
    compileItems(project, svc.items, { label: `service "${svc.name}"`, service: svc, owner: hasAccount ? svc.user : "root", storage, envs: envMap(svc.items), groupOf }, mine);
    // A service declared inside an instance belongs to its nested host.
    resources.push(...(svc.host ? mine.map((r) => ({ ...r, host: svc.host })) : mine));
  }
  const inst = compileInstances(project);
  if (inst.problems.length) throw new HostKitError(inst.problems);
  resources.push(...inst.resources);
  for (const host of project.hosts) {
    const mine: Resource[] = [];
    compileItems(project, host.items, { label: `host "${host.name}"`, owner: "root", storage: new Map(), envs: envMap(host.items), groupOf }, mine);
    resources.push(...mine.map((r) => ({ ...r, host: host.name })));
  }
  // Provider declarations last: a provider may depend on what the built-in ones declared (a package).
  resources.push(...compileProviders(project, resources));
  resources.push(...compileFirewall(project));
  checkPaths(resources);
  checkDuplicates(resources);
  wireNotify(project, resources);
  // Declaration order, except where a dependency must come first (a cycle is an error here, at load time).
  const ordered = dependencyOrder(addImplicitRequires(resources).map((r) => ({ key: resourceKey(r), r, requires: r.requires, source: r.source }))).map((n) => n.r);
  // Hosts as targets (their own declarations are resources now, each carrying `host`).
  const instances = (project.instances ?? []).map((d) => d.name);
  return { project: project.name, source: project.source, hosts: project.hosts.map(({ items: _items, ...h }) => h), ...(instances.length ? { instances } : {}), runs: project.runs, resources: ordered };
}

function envMap(items: ItemDecl[]): Map<string, string> {
  return new Map(items.flatMap((i) => (i.kind === "env" && i.name ? [[i.name, i.path] as const] : [])));
}


/** Every path a resource writes is in its one normal form (the DSL normalises them; this guards any other way in). */
function checkPaths(resources: Resource[]) {
  const problems: Diagnostic[] = [];
  for (const r of resources) {
    if (r.type !== "directory" && r.type !== "file" && r.type !== "env_file") continue;
    const n = normalizeHostPath(r.path);
    if ("error" in n) problems.push({ subject: resourceKey(r), source: r.source, message: n.error });
    else if (n.path !== r.path) problems.push({ subject: resourceKey(r), source: r.source, message: `path is not in normal form (${JSON.stringify(n.path)})` });
  }
  if (problems.length) throw new HostKitError(problems);
}

/** One key per host: the same key in two hosts is fine; project-wide and host-scoped, or twice in one scope, is not. */
function checkDuplicates(resources: Resource[]) {
  const seen = new Map<string, Resource[]>();
  const problems: Diagnostic[] = [];
  for (const r of resources) {
    const key = resourceKey(r);
    const first = (seen.get(key) ?? []).find((o) => !o.host || !r.host || o.host === r.host);
    if (first) {
      problems.push({ subject: key, source: r.source, message: `declared twice (first at ${formatLoc(first.source)})` });
    } else seen.set(key, [...(seen.get(key) ?? []), r]);
  }
  if (problems.length) throw new HostKitError(problems);
}
