/**
 * What infra files import from "hostkit": the DSL and the public runtime helpers.
 * @module
 */
export { project, type ProjectScope } from "./project.ts";
export type { ServiceScope } from "./service.ts";
export { incus, type InstanceScope, type InstanceOptions, type IncusOptions, type ExposeOptions, type BackendRef } from "./instance.ts";
export type { ItemMethods } from "./items.ts";
export { secretEnv, type SecretRef } from "../model/secret.ts";
export { Storage, volume, readWritePaths, type Volume } from "./storage.ts";
export { Sandbox, SANDBOX_PROFILES, type SandboxOptions, type SandboxProfile } from "../runtime/sandbox.ts";
export { Resources, type ResourceOptions } from "../runtime/resources.ts";
export { MODE_ALIASES, type Mode } from "../model/mode.ts";
export type { Address } from "../model/address.ts";
export type * from "./options.ts";
export type { SymlinkOptions } from "../kinds/symlink.ts";
export type { ProjectDecl } from "./decl.ts";
// The provider contract: what a provider module (built-in or a user's own) is written with.
export { defineProvider, declaration, type Provider, type Declaration, type ProvidedItem, type ProviderCompileContext, type ListenerDecl } from "../model/provider.ts";
export type { ResourceBase } from "../model/resource.ts";
export { HostKitError } from "../model/errors.ts";
export type { FirewallScope, RuleOptions } from "./firewall.ts";
