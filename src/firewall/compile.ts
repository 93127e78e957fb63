/**
 * Firewall declarations → `firewall` resources: ONE per host (key `firewall:/etc/nftables.d/hostkit.nft`).
 * When no host refines the project's policy, one project-wide resource serves every target; when
 * some do, each declared host gets its own with the merged policy (host rules after the project's,
 * the host's default winning), so a host never gets two.
 */
import type { ProjectDecl, FirewallDecl } from "../dsl/decl.ts";
import type { SourceLoc } from "../model/source.ts";
import type { Firewall } from "../kinds/firewall.ts";
import { mergePolicies, type Policy } from "./policy.ts";
import { policyToJson } from "./policy-json.ts";
import { DEFAULT_PATH, renderWithMap } from "./nftables.ts";

export function firewallResource(policy: Policy, source: SourceLoc, host?: string): Firewall {
  const { text, lines } = renderWithMap(policy);
  return {
    type: "firewall",
    id: DEFAULT_PATH,
    path: DEFAULT_PATH,
    source,
    ...(host ? { host } : {}),
    content: text,
    policy: policyToJson(policy),
    lines: Object.fromEntries([...lines].map(([n, label]) => [String(n), label])),
  };
}

export function compileFirewall(project: ProjectDecl): Firewall[] {
  const own = (name: string): FirewallDecl | undefined => project.hostFirewalls?.[name];
  const refined = project.hosts.filter((h) => own(h.name));
  const p: FirewallDecl | undefined = project.firewall;
  if (!refined.length) return p ? [firewallResource(p.policy, p.source)] : [];
  const hosts = p ? project.hosts : refined;
  return hosts.map((h) => firewallResource(mergePolicies(p?.policy ?? { rules: [] }, own(h.name)?.policy), own(h.name)?.source ?? p!.source, h.name));
}
