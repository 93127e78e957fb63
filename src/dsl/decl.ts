/**
 * @internal Declarations: what the DSL records, as plain data with source locations. `compile`
 * turns them into resources.
 */
import type { ContentSource } from "../model/kind.ts";
import type { SecretRef } from "../model/secret.ts";
import type { SourceLoc } from "../model/source.ts";
import type * as O from "./options.ts";
import type { Declaration, Provider } from "../model/provider.ts";
import type { Policy } from "../firewall/policy.ts";

/** A `firewall(…)` declaration of one scope: its rules, checked, in order. */
export interface FirewallDecl {
  source: SourceLoc;
  policy: Policy;
}
import type { InstanceDecl } from "./instance.ts";

export interface HostDecl {
  name: string;
  source: SourceLoc;
  at: string;
  ssh: O.SshOptions;
  /** Declarations that apply to this host only (`p.host(name, opts, (h) => …)`). */
  items: ItemDecl[];
  /** Declared inside `p.instance(name, …)`: the instance it lives on (planned after it). */
  instance?: string;
}

export type ItemDecl =
  | { kind: "account"; source: SourceLoc; name: string; opts: O.AccountOptions }
  | { kind: "storage"; source: SourceLoc; name: string; path: string; opts: O.StorageOptions }
  | { kind: "directory"; source: SourceLoc; path: string; opts: O.DirectoryOptions }
  | { kind: "file"; source: SourceLoc; path: string; content?: string; contentBase64?: string; contentSource?: ContentSource; opts: O.FileOptions }
  | { kind: "env"; source: SourceLoc; name?: string; path: string; opts: O.EnvOptions }
  | { kind: "daemon"; source: SourceLoc; unit: string; opts: O.DaemonOptions }
  | { kind: "timer"; source: SourceLoc; name: string; unit: string; opts: O.TimerOptions }
  | { kind: "command"; source: SourceLoc; name: string; opts: O.CommandOptions }
  | { kind: "package"; source: SourceLoc; name: string; opts: O.PackageOptions }
  /** A declaration a kind compiles itself (the kind's `compile`): one case in compile for every such kind. */
  | { kind: "resource"; type: string; source: SourceLoc; id: string; opts: Record<string, unknown> }
  /** A provider's declaration (`s.add(caddy.site(…))`), compiled by its provider (src/compile/providers.ts). */
  | { kind: "provided"; source: SourceLoc; decl: Declaration }
  /** `b.mise(…)` in a bootstrap; `after`: keys of the packages declared before it there. */
  | { kind: "mise"; source: SourceLoc; opts: O.MiseOptions; after: string[] };

export interface ServiceDecl {
  name: string;
  source: SourceLoc;
  user: string;
  unit: string;
  items: ItemDecl[];
  /** Declared inside an instance: its resources belong to the instance's nested host. */
  host?: string;
}

export interface ProjectDecl {
  kind: "hostkit.project";
  name: string;
  source: SourceLoc;
  roots: Record<string, string>;
  prefixes: { user: string; unit: string };
  runs: O.RunsOptions;
  hosts: HostDecl[];
  services: ServiceDecl[];
  items: ItemDecl[];
  /** Registered with `p.provider(…)`, by name. */
  providers: Provider[];
  /** `p.firewall(…)`: every host's policy starts from it. */
  firewall?: FirewallDecl;
  /**
   * `h.firewall(…)` by host name: refines the project's policy on that host. Kept here, not on the
   * host, so that `hosts` (dumped as they are) stay connection settings and declarations.
   */
  hostFirewalls?: Record<string, FirewallDecl>;
  /** `p.instance(…)` declarations (src/dsl/instance.ts). */
  instances?: InstanceDecl[];
}

export type { SecretRef };
