/**
 * The runtime API, mirroring the seed's HostKit.load/plan/apply/format_plan/down. The CLI is built
 * on it.
 * @example
 * import { load, plan, apply, formatPlan, Target } from "hostkit";
 * const project = await load("infra/config.ts");
 * const p = await plan(project, { target: Target.root("/tmp/image") });
 * console.log(formatPlan(p));
 * await apply(p, { target: Target.root("/tmp/image"), confirm: true });
 */
import type { CompiledProject } from "./compile/index.ts";
import { HostKitError } from "./model/errors.ts";
import type { Plan } from "./model/plan.ts";
import { planHost } from "./plan/planner.ts";
import { applyPlan, type ApplyOptions, type ApplyResult } from "./apply/applier.ts";
import { findDrift } from "./apply/stale.ts";
import { opsFor } from "./apply/ops.ts";
import { sameTarget } from "./artifacts/runs.ts";
import { localRunner } from "./targets/local.ts";
import type { Runner } from "./targets/runner.ts";
import type { SshOptions } from "./targets/ssh.ts";
import { sshReconnect, type TargetSpec } from "./targets/resolve.ts";
import { resolve } from "node:path";

export { load } from "./load.ts";
export { formatPlan } from "./plan/format.ts";
/** The down (rollback) plan of an applied up plan. @example const back = down(plan, { only: ["file:/etc/gatehouse/config.exs"] }); */
export { down, type DownOptions } from "./plan/down.ts";
export { readPlanFile, writePlanFile } from "./artifacts/plan-file.ts";
export { Firewall } from "./firewall/api.ts";
export type { Plan, Change } from "./model/plan.ts";
export type { CompiledProject } from "./compile/index.ts";

/** A target: where a plan reads from and applies to. An explicit `runner` is reused, never closed. */
export interface Target extends TargetSpec {
  runner?: Runner;
}

export const Target = {
  /** This machine. @example Target.local("laptop") */
  local(name = "local", opts: { sudo?: boolean } = {}): Target {
    return { info: { name, transport: "local", sudo: !!opts.sudo }, ctx: {}, open: async () => localRunner(opts) };
  },
  /** An offline filesystem tree. @example Target.root("/tmp/image") */
  root(dir: string): Target {
    const root = resolve(dir);
    return { info: { name: "root", transport: "root", root }, ctx: { root }, open: async () => localRunner() };
  },
  /**
   * An SSH host; pass `runner` (an open connection) to reuse it across calls.
   * @example
   * const conn = await SSH.Connection.open({ host: "127.0.0.1", port: 2222, user: "root" });
   * const prod = Target.ssh("prod", { host: "127.0.0.1", port: 2222, user: "root", runner: conn });
   */
  ssh(name: string, opts: SshOptions & { runner?: Runner }): Target {
    const { runner, ...o } = opts;
    return {
      info: { name, transport: "ssh", host: o.host, port: o.port ?? 22, ...(o.user ? { user: o.user } : {}), sudo: !!o.sudo },
      ctx: { ssh: { port: o.port ?? 22 } },
      ...(runner ? { runner } : {}),
      open: async () => runner ?? (await import("./targets/ssh.ts")).openSsh(o),
      reconnect: (timeoutMs) => sshReconnect(o, timeoutMs),
    };
  },
};

/** Explicit SSH connections that several calls reuse (the seed's `SSH.Connection.open/close`). */
export const SSH = {
  Connection: {
    open: async (opts: SshOptions): Promise<Runner> => (await import("./targets/ssh.ts")).openSsh(opts),
    close: (conn: Runner): Promise<void> => conn.close(),
  },
};

async function withRunner<T>(target: Target, fn: (r: Runner) => Promise<T>): Promise<T> {
  const runner = target.runner ?? (await target.open());
  try {
    return await fn(runner);
  } finally {
    if (!target.runner) await runner.close();
  }
}

/** Opt-ins that change what is planned (the CLI's --nft-reload, --allow-lockout). */
export interface KindFlags {
  /** Load the firewall rules after writing them (over SSH with an automatic revert). */
  nftReload?: boolean;
  /** Plan a firewall ruleset that drops the current SSH port. */
  allowLockout?: boolean;
}

function ctxOf(target: Target, f: KindFlags): Target["ctx"] {
  const flags = { ...(f.nftReload ? { nftReload: true } : {}), ...(f.allowLockout ? { allowLockout: true } : {}) };
  return Object.keys(flags).length ? { ...target.ctx, flags } : target.ctx;
}

/** Plan a project against a target. */
export async function plan(project: CompiledProject, opts: { target: Target; ignore?: string[] } & KindFlags): Promise<Plan> {
  return withRunner(opts.target, (runner) => planHost({ project: project.project, resources: project.resources, runner, ctx: ctxOf(opts.target, opts), target: opts.target.info, ...(opts.ignore ? { ignore: opts.ignore } : {}) }));
}

/** What `apply({ dryRun: true })` returns: the plan re-checked against the target, and each change's argv ops. */
export interface DryRun {
  dryRun: true;
  plan: Plan;
  ops: { key: string; ops: { label: string; argv: string[]; skip?: string }[] }[];
}

/**
 * Apply a plan. Refuses without `confirm: true` (a dry run needs none), refuses a plan whose target
 * differs, and refuses a stale plan: the target is re-read while the host lock is held, so nothing
 * can change it between the check and the changes. `dryRun: true` re-reads the target the same way
 * (a stale plan is refused) and returns the argv each change would run, changing nothing.
 * @example
 * const preview = await apply(p, { target, dryRun: true });
 * const result = await apply(p, { target, confirm: true });
 */
export async function apply(p: Plan, opts: { target: Target; confirm?: boolean; dryRun?: boolean } & KindFlags & Omit<ApplyOptions, "runner" | "ctx">): Promise<ApplyResult | DryRun> {
  // A plan applies only where it was made (a plan read from a file is checked fully by `hostkit apply --plan`).
  if (!sameTarget(p.target, opts.target.info)) throw new HostKitError({ message: `the plan was made for ${p.target.name} (${p.target.transport}${p.target.root ? ` ${p.target.root}` : ""}), not for target ${opts.target.info.name}` });
  if (!opts.dryRun && !opts.confirm) throw new HostKitError({ message: "apply needs confirm: true" });
  return withRunner(opts.target, async (runner) => {
    const ctx = ctxOf(opts.target, opts);
    const refuseIfStale = async () => {
      const drift = await findDrift(p, runner, ctx);
      if (drift.length) throw new HostKitError({ message: `the plan is stale; changed since it was made: ${drift.map((d) => d.key).join(", ")}` });
    };
    if (opts.dryRun) {
      await refuseIfStale();
      return { dryRun: true, plan: p, ops: p.changes.filter((c) => c.action !== "noop").map((c) => ({ key: c.key, ops: opsFor(c, ctx).map((o) => ({ label: o.label, argv: o.argv, ...(o.skip ? { skip: o.skip } : {}) })) })) };
    }
    const { target: _t, confirm: _c, dryRun: _d, nftReload: _n, allowLockout: _a, underLock, ...rest } = opts;
    const reconnect = opts.target.reconnect?.bind(opts.target);
    // Checked under the host lock, as `hostkit apply --plan` does.
    return applyPlan(p, { ...(reconnect ? { reconnect } : {}), ...rest, runner, ctx, underLock: async () => (await refuseIfStale(), await underLock?.()) });
  });
}
