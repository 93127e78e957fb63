/**
 * @internal Declarations: what the DSL records, as plain data with source locations. `compile`
 * turns them into resources.
 */
import type { ContentSource } from "../model/kind.ts";
import type { SecretRef } from "../model/secret.ts";
import type { SourceLoc } from "../model/source.ts";
import type * as O from "./options.ts";

export interface HostDecl {
  name: string;
  source: SourceLoc;
  at: string;
  ssh: O.SshOptions;
  /** Declarations that apply to this host only (`p.host(name, opts, (h) => …)`). */
  items: ItemDecl[];
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
  | { kind: "package"; source: SourceLoc; name: string; opts: O.PackageOptions };

export interface ServiceDecl {
  name: string;
  source: SourceLoc;
  user: string;
  unit: string;
  items: ItemDecl[];
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
}

export type { SecretRef };
