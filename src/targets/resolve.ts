/**
 * Choosing targets: `--local`, `--root DIR`, `--host NAME` (declared in the infra file; repeatable),
 * or raw `--remote HOST` flags. Each target opens its runner lazily, so ssh2 is only loaded when used.
 */
import { HostKitError } from "../model/errors.ts";
import type { TargetInfo } from "../model/plan.ts";
import { isSecretRef } from "../model/secret.ts";
import type { HostDecl } from "../dsl/decl.ts";
import type { TargetCtx } from "../model/kind.ts";
import type { Runner } from "./runner.ts";
import { localRunner } from "./local.ts";
import type { SshOptions, TransportEvent } from "./ssh.ts";
import { basename, dirname, join, resolve } from "node:path";
import { realpathSync } from "node:fs";

/**
 * `--root DIR` as the one canonical path the tree has (links resolved, as `realpath`): writes are
 * walked beneath it without following links, the host lock is keyed by it (two applies to one tree,
 * one through a symlinked --root, take the same lock), and a root that is `/` in disguise is seen as
 * such. A root that does not exist yet resolves through its nearest existing ancestor.
 */
export function canonicalRoot(dir: string): string {
  const abs = resolve(dir);
  try {
    return realpathSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT" || abs === "/") throw new HostKitError({ key: "--root", message: `cannot resolve ${dir}: ${(e as Error).message}` });
    return join(canonicalRoot(dirname(abs)), basename(abs));
  }
}

export interface TargetFlags {
  local?: boolean;
  root?: string;
  host?: string[];
  /** Instances by declaration name (`--instance demo_vm`): the instance, then its nested host. */
  instance?: string[];
  remote?: string;
  user?: string;
  port?: string | number;
  identityFile?: string;
  password?: string;
  passwordEnv?: string;
  sudo?: boolean;
  acceptHosts?: boolean;
  knownHosts?: string;
}

export interface TargetSpec {
  info: TargetInfo;
  ctx: TargetCtx;
  open(): Promise<Runner>;
  /**
   * Set when the target is an instance (`--instance`) or the nested host inside one (`--host`):
   * plan and apply take the instance on its controller target first, then the nested host
   * (src/instances/orchestrate.ts). Saved plans and runs use `info`/`open` alone.
   */
  pair?: { instance: string; controller: TargetSpec; nested?: TargetSpec };
  /**
   * SSH targets: open a NEW connection (one attempt, bounded by `timeoutMs`), run `true`, close it.
   * Confirms a firewall reload left the next login working (ApplyOptions.reconnect).
   */
  reconnect?(timeoutMs: number): Promise<void>;
}

/** One bounded attempt at a fresh SSH connection that runs `true` (see TargetSpec.reconnect). */
export async function sshReconnect(o: SshOptions, timeoutMs: number): Promise<void> {
  const { openSsh } = await import("./ssh.ts");
  const { onEvent: _e, ...rest } = o;
  const runner = await openSsh({ ...rest, retry: false, connectTimeoutMs: timeoutMs, onEvent: () => {} });
  try {
    const res = await runner.exec(["true"], { timeoutMs });
    if (res.code !== 0) throw new Error(`\`true\` exited ${res.code} on the new connection`);
  } finally {
    await runner.close();
  }
}

/**
 * An instance's controller target: this machine, named after the instance, so its runs, locks and
 * saved plans are told apart from `--local` ones. Backend commands carry their own sudo.
 */
export function controllerTarget(instance: string): TargetSpec {
  return { info: { name: instance, transport: "local", sudo: false }, ctx: {}, open: async () => localRunner() };
}

function resolvePassword(p: string | { $secret: { env: string } } | undefined, subject: string): string | undefined {
  if (p === undefined) return undefined;
  if (!isSecretRef(p)) return p;
  const value = process.env[p.$secret.env];
  if (value === undefined) throw new HostKitError({ subject, key: "ssh.password", message: `environment variable ${p.$secret.env} is not set` });
  return value;
}

function sshTarget(name: string, o: SshOptions, onEvent?: (e: TransportEvent) => void): TargetSpec {
  return {
    info: { name, transport: "ssh", host: o.host, port: o.port ?? 22, ...(o.user ? { user: o.user } : {}), sudo: o.sudo ?? false },
    ctx: { ssh: { port: o.port ?? 22 } },
    async open() {
      const { openSsh } = await import("./ssh.ts");
      return openSsh({ ...o, ...(onEvent ? { onEvent } : {}) });
    },
    reconnect: (timeoutMs) => sshReconnect(o, timeoutMs),
  };
}

export function hostSshOptions(h: Omit<HostDecl, "items">, flags: TargetFlags = {}): SshOptions {
  const s = h.ssh;
  const retry = s.retry === undefined ? undefined : typeof s.retry === "object" ? { attempts: s.retry.attempts, baseDelay: s.retry.baseDelay ?? 250, maxDelay: s.retry.maxDelay ?? 2000 } : s.retry;
  const password = resolvePassword(s.password, `host "${h.name}"`);
  return {
    host: h.at,
    ...(s.port ? { port: s.port } : {}),
    ...(s.user ? { user: s.user } : {}),
    ...(s.identityFile ? { identityFile: s.identityFile } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(s.sudo ? { sudo: true } : {}),
    ...(s.acceptHosts || flags.acceptHosts ? { acceptHosts: true } : {}),
    ...((flags.knownHosts ?? s.knownHostsFile) ? { knownHostsFile: flags.knownHosts ?? s.knownHostsFile } : {}),
    ...(retry !== undefined ? { retry } : {}),
  };
}

export function resolveTargets(hosts: readonly Omit<HostDecl, "items">[], flags: TargetFlags, onEvent?: (e: TransportEvent) => void, instances: readonly string[] = []): TargetSpec[] {
  const chosen = [flags.local, flags.root, flags.host?.length || flags.instance?.length, flags.remote].filter(Boolean).length;
  if (chosen === 0) {
    throw new HostKitError({
      message: "choose a target",
      hint: `--local, --root DIR, --remote HOST, or --host NAME${hosts.length ? ` (declared: ${hosts.map((h) => h.name).join(", ")})` : ""}`,
    });
  }
  if (chosen > 1) throw new HostKitError({ message: "choose one kind of target: --local, --root, --host/--instance or --remote" });
  if (flags.instance?.length) {
    const known = [...new Set([...instances, ...hosts.flatMap((h) => (h.instance ? [h.instance] : []))])];
    const byInstance = flags.instance.map((name) => {
      if (!known.includes(name)) throw new HostKitError({ key: "--instance", message: `no instance "${name}" in this project`, hint: known.length ? `declared: ${known.join(", ")}` : "declare one with p.instance(name, { backend, image }, (i) => …)" });
      const controller = controllerTarget(name);
      const h = hosts.find((x) => x.instance === name);
      const nested = h ? sshTarget(h.name, hostSshOptions(h, flags), onEvent) : undefined;
      return { ...controller, pair: { instance: name, controller, ...(nested ? { nested } : {}) } };
    });
    const hostTargets = flags.host?.length ? resolveTargets(hosts, { ...flags, instance: [] }, onEvent, instances) : [];
    return [...byInstance, ...hostTargets];
  }
  if (flags.local) return [{ info: { name: "local", transport: "local", sudo: !!flags.sudo }, ctx: {}, open: async () => localRunner({ sudo: !!flags.sudo }) }];
  if (flags.root) {
    const root = canonicalRoot(flags.root);
    if (root === "/") throw new HostKitError({ key: "--root", message: `refusing --root ${flags.root === "/" ? "/" : `${flags.root} (it resolves to /)`} (use --local for this machine)` });
    return [{ info: { name: "root", transport: "root", root }, ctx: { root }, open: async () => localRunner() }];
  }
  if (flags.remote) {
    const port = flags.port === undefined ? undefined : Number(flags.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new HostKitError({ key: "--port", message: `${flags.port} is not a port number` });
    let password = flags.password;
    if (flags.passwordEnv) {
      password = process.env[flags.passwordEnv];
      if (password === undefined) throw new HostKitError({ key: "--password-env", message: `environment variable ${flags.passwordEnv} is not set` });
    }
    return [
      sshTarget(
        flags.remote,
        {
          host: flags.remote,
          ...(port ? { port } : {}),
          ...(flags.user ? { user: flags.user } : {}),
          ...(flags.identityFile ? { identityFile: flags.identityFile } : {}),
          ...(password !== undefined ? { password } : {}),
          ...(flags.sudo ? { sudo: true } : {}),
          ...(flags.acceptHosts ? { acceptHosts: true } : {}),
          ...(flags.knownHosts ? { knownHostsFile: flags.knownHosts } : {}),
        },
        onEvent,
      ),
    ];
  }
  return flags.host!.map((name) => {
    const h = hosts.find((x) => x.name === name);
    if (!h) throw new HostKitError({ key: "--host", message: `no host "${name}" in this project`, hint: hosts.length ? `declared: ${hosts.map((x) => x.name).join(", ")}` : "declare one with p.host(name, { at, ssh })" });
    const t = sshTarget(name, hostSshOptions(h, flags), onEvent);
    // The host inside an instance: the instance comes first.
    return h.instance ? { ...t, pair: { instance: h.instance, controller: controllerTarget(h.instance), nested: t } } : t;
  });
}

/** Run `fn` for each target with at most `limit` at once, results in target order. */
export async function eachTarget<T>(targets: readonly TargetSpec[], limit: number, fn: (t: TargetSpec) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(targets.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, targets.length) }, async () => {
    while (next < targets.length) {
      const i = next++;
      out[i] = await fn(targets[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

/**
 * Where a saved plan (or a run's record) is applied: the target the command line names, else the
 * one the plan records — an offline root, this machine, an instance's controller, a declared host
 * (with its SSH settings), or the raw SSH address.
 */
export function targetsOfPlan(t: TargetInfo, project: { hosts: readonly Omit<HostDecl, "items">[]; instances?: readonly string[] } | undefined, flags: TargetFlags): TargetSpec[] {
  const chosen = flags.local || flags.root || flags.host?.length || flags.instance?.length || flags.remote;
  if (chosen) return resolveTargets(project?.hosts ?? [], flags, undefined, project?.instances);
  if (t.transport === "root") return resolveTargets([], { root: t.root! });
  // an instance's controller target is a local target named after the instance
  if (t.transport === "local" && project?.instances?.includes(t.name)) return resolveTargets(project.hosts, { instance: [t.name] }, undefined, project.instances);
  if (t.transport === "local") return resolveTargets([], { local: true, ...(t.sudo ? { sudo: true } : {}) });
  if (project?.hosts.some((h) => h.name === t.name)) return resolveTargets(project.hosts, { ...flags, host: [t.name] });
  return resolveTargets([], { ...flags, remote: t.host!, ...(t.user ? { user: t.user } : {}), ...(t.port ? { port: t.port } : {}), ...(t.sudo ? { sudo: true } : {}) });
}
