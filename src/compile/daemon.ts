/** @internal A daemon declaration → systemd_service sections. */
import { HostKitError } from "../model/errors.ts";
import { normalizeAddress, systemdAddress } from "../model/address.ts";
import type { SourceLoc } from "../model/source.ts";
import type { DaemonOptions, IsolateOptions, NetworkPolicy } from "../dsl/options.ts";
import { Sandbox, type SandboxOptions } from "../runtime/sandbox.ts";
import { Resources } from "../runtime/resources.ts";
import { escapeSpecifiers, execLine, programProblem, quoteArg } from "../render/systemd-quote.ts";
import { SectionBuilder, checkSectionValues, dependencyNames } from "./unit.ts";

export interface DaemonContext {
  subject: string;
  source: SourceLoc;
  project: string;
  service?: string;
  /** Default User= (the service account, if declared). */
  user?: string;
  /** Storage name → path, for `isolate.writable`. */
  storage: Map<string, string>;
  /** Env declaration name → env file path. */
  envs: Map<string, string>;
}

const RESTART: Record<string, string> = {
  no: "no",
  on_success: "on-success",
  on_failure: "on-failure",
  on_abnormal: "on-abnormal",
  on_watchdog: "on-watchdog",
  on_abort: "on-abort",
  always: "always",
};

/** Base hardening for `isolate` without a profile: a read-only system and the declared writable paths. */
const ISOLATE_BASE: SandboxOptions = { noNewPrivileges: true, protectSystem: "strict", protectHome: "yes", privateTmp: true };
const NETWORK_FAMILIES = ["AF_INET", "AF_INET6", "AF_UNIX"];

export function resolveEnvFiles(names: string[] | undefined, ctx: DaemonContext, key: string): string[] {
  return (names ?? []).map((n, i) => {
    if (n.startsWith("/")) return n;
    const path = ctx.envs.get(n);
    if (!path) {
      throw new HostKitError({
        subject: ctx.subject,
        key: `${key}[${i}]`,
        source: ctx.source,
        message: `unknown env "${n}"`,
        hint: ctx.envs.size ? `declared envs: ${[...ctx.envs.keys()].join(", ")}` : "declare it with s.env(name, { … }) or give an absolute path",
      });
    }
    return path;
  });
}

export function isolationOptions(isolate: IsolateOptions | undefined, ctx: DaemonContext, key = "isolate"): { sandbox: SandboxOptions; writable: string[]; network?: "loopback" | "any" | "none" } {
  if (!isolate) return { sandbox: {}, writable: [] };
  const { profile, writable, network, ...overrides } = isolate;
  const base = profile ? Sandbox.new(profile) : ISOLATE_BASE;
  const paths = (writable ?? []).map((w, i) => {
    if (w.startsWith("/")) return w;
    const path = ctx.storage.get(w);
    if (!path) {
      throw new HostKitError({
        subject: ctx.subject,
        key: `${key}.writable[${i}]`,
        source: ctx.source,
        message: `unknown storage "${w}"`,
        hint: ctx.storage.size ? `declared storage: ${[...ctx.storage.keys()].join(", ")}` : "declare it with s.storage(name) or give an absolute path",
      });
    }
    return path;
  });
  return { sandbox: { ...base, ...(overrides as SandboxOptions) }, writable: paths, network };
}

export function networkOptions(network: "loopback" | "any" | "none" | undefined, policy: NetworkPolicy | undefined, ctx: DaemonContext): [string, string][] {
  const out: [string, string][] = [];
  if (network === "none") out.push(["PrivateNetwork", "yes"]);
  const allow: string[] = [];
  let deny = false;
  if (network === "loopback") {
    deny = true;
    allow.push("localhost");
  }
  if (policy) {
    if (policy.deny) deny = true;
    for (const [i, a] of (policy.allow ?? []).entries()) {
      const n = normalizeAddress(a);
      if (typeof n !== "string") throw new HostKitError({ subject: ctx.subject, key: `networkPolicy.allow[${i}]`, source: ctx.source, message: n.error });
      const s = n === "any" ? "any" : systemdAddress(n);
      if (!allow.includes(s)) allow.push(s);
    }
  }
  if (deny) out.push(["IPAddressDeny", "any"]);
  if (allow.length) out.push(["IPAddressAllow", allow.join(" ")]);
  if (deny || network === "loopback") out.push(["RestrictAddressFamilies", NETWORK_FAMILIES.join(" ")]);
  return out;
}

export function daemonSections(d: DaemonOptions, ctx: DaemonContext): ReturnType<SectionBuilder["build"]> {
  const u = new SectionBuilder();
  const exec = d.exec ?? d.run?.execStart;
  if (!exec) throw new HostKitError({ subject: ctx.subject, key: "exec", source: ctx.source, message: "a daemon needs `exec` (or `run.execStart`)" });
  checkProgram(exec, ctx, d.exec ? "exec[0]" : "run.execStart[0]");
  u.set("Unit", "Description", escapeSpecifiers(d.description ?? `${ctx.service ?? ctx.project} (managed by HostKit)`));
  const deps = (key: string, x: string | string[] | undefined) => dependencyNames(x, ctx.subject, key, ctx.source);
  for (const t of [...deps("afterTarget", d.afterTarget), ...deps("after", d.after)]) u.set("Unit", "After", t);
  for (const t of deps("wants", d.wants)) u.set("Unit", "Wants", t);
  for (const t of deps("requires", d.requires)) u.set("Unit", "Requires", t);
  u.set("Unit", "X-HostKit-Project", ctx.project);
  if (ctx.service) u.set("Unit", "X-HostKit-Service", ctx.service);

  u.set("Service", "Type", d.type ?? "exec");
  const user = d.run?.user ?? ctx.user;
  u.set("Service", "User", user);
  u.set("Service", "Group", d.run?.group);
  u.set("Service", "WorkingDirectory", d.workingDirectory === undefined ? undefined : escapeSpecifiers(d.workingDirectory));
  for (const path of resolveEnvFiles(d.env, ctx, "env")) u.set("Service", "EnvironmentFile", escapeSpecifiers(path));
  for (const [k, val] of Object.entries(d.environment ?? {})) u.set("Service", "Environment", quoteArg(`${k}=${val}`));
  u.set("Service", "ExecStart", execLine(exec));
  if (d.execReload) {
    checkProgram(d.execReload, ctx, "execReload[0]");
    u.set("Service", "ExecReload", execLine(d.execReload));
  }
  if (d.restart) u.set("Service", "Restart", RESTART[d.restart]);
  if (d.restartSec !== undefined) u.set("Service", "RestartSec", String(d.restartSec));

  const iso = isolationOptions(d.isolate, ctx);
  u.setAll("Service", Sandbox.toSystemdServiceOptions(iso.sandbox));
  const rw = [...iso.writable, ...(d.run?.readWritePaths ?? [])];
  if (rw.length) u.set("Service", "ReadWritePaths", [...new Set(rw)].map(quoteArg).join(" "));
  u.setAll("Service", networkOptions(iso.network, d.networkPolicy, ctx));
  if (d.resources) {
    const res = typeof d.resources === "string" ? Resources.new({ profile: d.resources }) : Resources.new(d.resources);
    u.setAll("Service", Resources.toSystemdServiceOptions(res));
  }
  if (d.logs) {
    u.set("Service", "SyslogIdentifier", d.logs.identifier === undefined ? undefined : escapeSpecifiers(d.logs.identifier));
    u.set("Service", "StandardOutput", d.logs.stdout);
    u.set("Service", "StandardError", d.logs.stderr);
  }
  if (d.enable !== false) for (const t of deps("wantedBy", d.wantedBy ?? "multi-user.target")) u.set("Install", "WantedBy", t);
  return checkSectionValues(u.build(), ctx.subject, ctx.source);
}

/** One diagnostic when the program cannot start an ExecStart= line. */
export function checkProgram(exec: readonly string[], ctx: DaemonContext, key: string): void {
  const problem = programProblem(exec[0]!);
  if (problem) throw new HostKitError({ subject: ctx.subject, key, source: ctx.source, message: problem });
}
