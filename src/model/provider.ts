/**
 * The provider contract: how code outside the core (Caddy, a user's own motd provider) adds
 * declarations to infra files. Built-in providers and a user's repository write them the same way:
 *
 *   import { caddy } from "hostkit/caddy";                 // or "./providers/motd.ts"
 *   p.provider(caddy({ sitesDir: "/etc/caddy/sites" }));   // registered, with its settings
 *   s.add(caddy.site("example.com", { reverseProxy: "http" }));  // a typed declaration value
 *
 * A provider contributes:
 * - declarations: plain values made by its own typed functions (`caddy.site(…)` returns a
 *   `Declaration`), added to any container with `add` — so editors see their options without the
 *   core knowing them (no scope method per provider);
 * - a compile handler: its declarations (each with the container it was added in: service,
 *   listeners, host) → resources. Those resources are of registered kinds: the built-in ones (`file`,
 *   `directory`…), or the provider's own kinds, which are kind files registered with one line in
 *   src/kinds/registry.ts like any built-in kind (probe → parse → diff → ops → down, render, dump);
 * - settings: what `caddy({ … })` was given, handed back to compile;
 * - host facts: through its kinds' `facts` (read in the same single probe round trip).
 * A declaration whose provider was not registered with `p.provider` is one error at its file:line.
 */
import type { HostKitError } from "./errors.ts";
import type { ResourceBase } from "./resource.ts";
import type { SourceLoc } from "./source.ts";

/** A provider's declaration: what `s.add(…)` / `p.add(…)` / `h.add(…)` take. */
export interface Declaration<D = unknown> {
  readonly kind: "hostkit.declaration";
  /** The provider that compiles it (its `name`). */
  readonly provider: string;
  /** What it declares, for messages: `caddy_site "example.com"`. */
  readonly subject: string;
  /** The provider's own data (already validated by the function that made it). */
  readonly data: D;
  /** Where it was made (the infra file line), when known. */
  readonly source?: SourceLoc;
  /** A mistake found while making it: reported (with the others) when it is added. */
  readonly problem?: HostKitError;
}

/** A named listener of a service's daemon (`daemon({ listen: { http: { port: 4000 } } })`). */
export interface ListenerDecl {
  port: number;
  on?: string;
}

/** One added declaration, with the container it was added in. */
export interface ProvidedItem<D = unknown> {
  decl: Declaration<D>;
  /** Where `add` was called. */
  source: SourceLoc;
  /** The service it was added in (its resources belong to that service). */
  service?: string;
  /** `p.host(name, …, (h) => h.add(…))`: the host it applies to. */
  host?: string;
  /** The named listeners declared on that service's daemon (empty outside a service). */
  listeners: Readonly<Record<string, ListenerDecl>>;
  /** How the container is named in messages: `service "web"`. */
  label: string;
}

export interface ProviderCompileContext {
  project: string;
  /** Keys (`type:id`) of the resources compiled from built-in declarations (e.g. `package:caddy`). */
  declared: ReadonlySet<string>;
}

/** What `p.provider(…)` takes. Make one with `defineProvider`. */
export interface Provider<S = unknown, D = unknown> {
  readonly kind: "hostkit.provider";
  /** Matches `Declaration.provider`. */
  readonly name: string;
  readonly settings: S;
  /**
   * Every declaration of this provider in the project, in declaration order → resources (with
   * `source` and `service`/`host` set as they belong). Throw a HostKitError naming the declaration.
   */
  compile(items: readonly ProvidedItem<D>[], settings: S, ctx: ProviderCompileContext): ResourceBase[];
}

/** Typed identity for a provider definition. */
export function defineProvider<S, D>(p: Omit<Provider<S, D>, "kind">): Provider<S, D> {
  return { kind: "hostkit.provider", ...p };
}

/** Make a declaration value (a provider's `site(…)`, `banner(…)` functions return these). */
export function declaration<D>(provider: string, subject: string, data: D, extra: { source?: SourceLoc; problem?: HostKitError } = {}): Declaration<D> {
  return { kind: "hostkit.declaration", provider, subject, data, ...extra };
}

export function isDeclaration(x: unknown): x is Declaration {
  return !!x && typeof x === "object" && (x as { kind?: unknown }).kind === "hostkit.declaration" && typeof (x as { provider?: unknown }).provider === "string";
}

export function isProvider(x: unknown): x is Provider {
  return !!x && typeof x === "object" && (x as { kind?: unknown }).kind === "hostkit.provider" && typeof (x as { compile?: unknown }).compile === "function";
}
