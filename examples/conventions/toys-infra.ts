/**
 * Project-local conventions for the toys project (the seed's `HostKit.ProjectDSL` module
 * `ToysInfra`): plain TypeScript functions over the DSL, imported by infra files. No macro system.
 */
import { project, type ProjectDecl, type ProjectScope, type ServiceScope } from "hostkit";

export const ROOTS = { source: "/opt/toys/src", data: "/srv/toys", state: "/var/lib/toys", config: "/etc/toys" };
export const PREFIXES = { user: "toys-", unit: "toys-" };

/** The toys project with its roots and prefixes already declared. */
export function toysProject(cb: (p: ProjectScope) => void): ProjectDecl {
  return project("toys", (p) => {
    p.roots(ROOTS);
    p.prefixes(PREFIXES);
    cb(p);
  });
}

/** What `toyService` hands its body: the service scope plus the seed's `let`/`path`/`macro` names. */
export interface ToyService {
  s: ServiceScope;
  sourceDir: string;
  dataDir: string;
  stateDir: string;
  configDir: string;
  /** The seed's `standard_user` macro: a system account whose home is under the state root. */
  standardUser(): void;
}

/** The seed's `defservice :toy_service`. */
export function toyService(p: ProjectScope, name: string, body: (t: ToyService) => void): void {
  p.service(name, (s) =>
    body({
      s,
      sourceDir: s.rootPath("source"),
      dataDir: s.rootPath("data"),
      stateDir: s.rootPath("state"),
      configDir: s.rootPath("config"),
      standardUser: () => s.account({ system: true, home: `${s.rootPath("state")}/home` }),
    }),
  );
}
