/**
 * The `instance` container: `p.instance(name, { backend: incus({…}), image, expose, … }, (i) => {
 * i.host("guest", { at, ssh }); i.service("web", (s) => …); i.file(…) })`. The instance itself is
 * planned on the controller; what is declared inside belongs to its nested host (declared with
 * `i.host`) and is planned through that host's SSH endpoint.
 *
 * Names: the declaration name (`demo_vm`) names the instance in HostKit (`instance:demo_vm`,
 * `--instance demo_vm`, `hostkit ssh demo_vm`). The backend's instance name is the declaration name
 * with '_' replaced by '-' (`demo-vm`: Incus names allow only letters, digits and '-'), or `name`.
 */
import * as v from "valibot";
import { HostKitError } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";
import type { HostDecl, ItemDecl, ProjectDecl } from "./decl.ts";
import { callerLocation } from "./location.ts";
import * as O from "./options.ts";
import { type ItemMethods, itemMethods } from "./items.ts";
import { makeScope } from "./scope.ts";
import { runCallback } from "./collect.ts";
import { parseOptions } from "./validate.ts";
import { declareService, type ServiceScope } from "./service.ts";

/** A backend declaration: plain data, made by a backend function such as `incus()`. */
export interface BackendRef {
  readonly type: string;
  readonly sudo?: boolean;
  readonly project?: string;
  readonly profiles?: string[];
  readonly bin?: string;
}

export interface IncusOptions {
  /** Run incus through `sudo -n`. @example sudo: true */
  sudo?: boolean;
  /** Incus project (default "default"). @example project: "hostkit" */
  project?: string;
  /** Profiles for new instances (default: Incus' default profile). @example profiles: ["hostkit"] */
  profiles?: string[];
  /** The incus program (default "incus" from PATH). */
  bin?: string;
}
const IncusSchema = v.strictObject({
  sudo: v.optional(v.boolean()),
  project: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "is not a valid Incus project name"))),
  profiles: v.optional(v.array(v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "is not a valid profile name")))),
  bin: v.optional(v.pipe(v.string(), v.minLength(1))),
});

/**
 * The Incus backend for `p.instance`. Its options stay here; no Incus flag appears in the DSL.
 * @example backend: incus({ sudo: true, project: "hostkit" })
 */
export function incus(opts: IncusOptions = {}): BackendRef {
  const source = callerLocation();
  return { type: "incus", ...parseOptions(IncusSchema, opts, "incus(…)", source) };
}

export interface ExposeOptions {
  /** Port on the controller. @example host: 2222 */
  host: number;
  /** Port inside the guest. @example guest: 22 */
  guest: number;
  /** Address to listen on (default 127.0.0.1). @example listen: "127.0.0.1" */
  listen?: string;
}

export interface InstanceOptions {
  /** The backend. @example backend: incus({ sudo: true, project: "hostkit" }) */
  backend: BackendRef;
  /** Image (alias or fingerprint), used only at create. @example image: "hostkit-bookworm" */
  image: string;
  /** "container" (default) or "vm". */
  kind?: "container" | "vm";
  /** "persistent" (default) or "ephemeral" (deleted by the backend when stopped). */
  lifecycle?: "ephemeral" | "persistent";
  /** "running" (default) or "stopped". */
  state?: "running" | "stopped";
  /** Ports forwarded from the controller into the guest. @example expose: { ssh: { host: 2222, guest: 22 } } */
  expose?: Record<string, ExposeOptions>;
  /** Backend config keys HostKit sets (and only these). @example config: { "limits.cpu": "1" } */
  config?: Record<string, string | number | boolean>;
  /** The backend's instance name (default: the declaration name with '_' → '-'). */
  name?: string;
  /** Down plans: delete an instance the run created (default "delete_if_created"), "keep" it, or "delete" it. */
  rollback?: "delete_if_created" | "keep" | "delete";
  /** How long apply waits for the nested host's SSH (seconds, default 60). */
  waitSeconds?: number;
}
const InstanceOptionsSchema = v.strictObject({
  backend: v.unknown(),
  image: v.string(),
  kind: v.optional(v.string()),
  lifecycle: v.optional(v.string()),
  state: v.optional(v.string()),
  expose: v.optional(v.record(v.string(), v.strictObject({ host: v.unknown(), guest: v.unknown(), listen: v.optional(v.string()) }))),
  config: v.optional(v.record(v.string(), v.union([v.string(), v.number(), v.boolean()]))),
  name: v.optional(v.string()),
  rollback: v.optional(v.picklist(["delete_if_created", "keep", "delete"])),
  waitSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3600))),
});

export interface InstanceDecl {
  name: string;
  source: SourceLoc;
  opts: InstanceOptions;
  /** The nested host (`i.host`), when declared. */
  host?: string;
}

export interface InstanceScope extends ItemMethods {
  /** The instance's declaration name. */
  readonly name: string;
  /**
   * The host inside the instance: how HostKit reaches it (normally a loopback port exposed above).
   * @example i.host("guest", { at: "127.0.0.1", ssh: { user: "root", port: 2222, identityFile: "~/.ssh/id_ed25519" } })
   */
  host(name: string, opts: O.HostOptions): void;
  /** A service inside the instance. @example i.service("web", (s) => { s.daemon({ exec: ["/usr/bin/python3", "-m", "http.server", "80"] }) }) */
  service(name: string, cb: (s: ServiceScope) => void): void;
}

const DECL_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

export function declareInstance(project: ProjectDecl, name: string, opts: InstanceOptions, cb: ((i: InstanceScope) => void) | undefined, source: SourceLoc): void {
  const subject = `instance ${JSON.stringify(name)}`;
  if (typeof name !== "string" || !DECL_NAME.test(name)) throw new HostKitError({ subject, source, message: "an instance name starts with a letter and contains only letters, digits, '_' and '-' (at most 63)" });
  const instances = (project.instances ??= []);
  if (instances.some((i) => i.name === name)) throw new HostKitError({ subject, source, message: "declared twice" });
  const parsed = parseOptions(InstanceOptionsSchema, opts, subject, source) as InstanceOptions;
  const decl: InstanceDecl = { name, source, opts: parsed };
  instances.push(decl);
  if (cb === undefined) return;
  const label = `instance "${name}"`;
  const items: ItemDecl[] = [];
  const services: string[] = [];
  let nested: HostDecl | undefined;
  let open = true;
  const methods: InstanceScope = {
    ...itemMethods(label, (i) => items.push(i), project),
    name,
    host(hostName, hostOpts) {
      const at = callerLocation();
      const hs = `${label} › host ${JSON.stringify(hostName)}`;
      if (nested) throw new HostKitError({ subject: hs, source: at, message: `an instance has one nested host (already "${nested.name}")` });
      if (typeof hostName !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(hostName)) throw new HostKitError({ subject: hs, source: at, message: "a host name contains only letters, digits, '_', '.', '-'" });
      if (project.hosts.some((h) => h.name === hostName)) throw new HostKitError({ subject: hs, source: at, message: "a host of this name is already declared" });
      const p = parseOptions(O.HostSchema, hostOpts, hs, at);
      nested = { name: hostName, source: at, at: p.at, ssh: p.ssh ?? {}, items, instance: name };
      project.hosts.push(nested);
      decl.host = hostName;
    },
    service(svcName, svcCb) {
      services.push(declareService(project, svcName, svcCb, callerLocation()).name);
    },
  };
  runCallback(cb, makeScope(label, methods, () => open), label, source);
  open = false;
  if (!nested && (items.length || services.length)) {
    throw new HostKitError({ subject: label, source, message: "declares contents but no nested host", hint: `declare how HostKit reaches it: i.host("guest", { at: "127.0.0.1", ssh: { port: … } })` });
  }
  for (const s of project.services) if (services.includes(s.name)) s.host = nested!.name;
}
