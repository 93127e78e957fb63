/**
 * `Firewall` in the runtime API: the policies a project declares (after host refinement), and the
 * renderer. @example
 * for (const { host, policy } of Firewall.policies(project)) console.log(host ?? "*", Firewall.nftables.render(policy));
 */
import type { CompiledProject } from "../compile/index.ts";
import type { Policy } from "./policy.ts";
import { policyFromJson } from "./policy-json.ts";
import type { Firewall as FirewallRes } from "../kinds/firewall.ts";
import { DEFAULT_PATH, lockoutCheck, persistence, render } from "./nftables.ts";

export interface DeclaredPolicy {
  /** The host it is for; absent: every target of the project. */
  host?: string;
  path: string;
  policy: Policy;
}

export const Firewall = {
  /** Each firewall resource's merged policy (one per host, or one project-wide). */
  policies(project: CompiledProject): DeclaredPolicy[] {
    return project.resources
      .filter((r): r is FirewallRes => r.type === "firewall")
      .flatMap((r) => (r.policy ? [{ ...(r.host ? { host: r.host } : {}), path: r.path, policy: policyFromJson(r.policy) }] : []));
  },
  nftables: {
    /** The file HostKit writes: replaces only `table inet hostkit`. */
    render,
    /** Would `policy` drop a new TCP connection to `sshPort` from `peer`? */
    lockoutCheck,
    /** What /etc/nftables.conf needs to load the file at boot. */
    persistence,
    DEFAULT_PATH,
  },
};
