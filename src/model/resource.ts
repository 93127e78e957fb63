/**
 * Resources: the flat, ordered, keyed output of compile, and the input of the planner. Plain data,
 * each with a `type` tag, an `id`, and the source location of the declaration that produced it.
 *
 * This module holds what every resource shares (the base fields, keys, rollback policies). Each
 * kind's own schema lives in its kind file (src/kinds/<kind>.ts); the union of them all, the
 * `Resource` type and `ResourceSchema`, is derived from the registry (src/kinds/registry.ts).
 */
import * as v from "valibot";

export const SourceLocSchema = v.strictObject({ file: v.string(), line: v.number() });

export const AbsPath = v.pipe(v.string(), v.startsWith("/", "must be an absolute path"));
export const RollbackSchema = v.picklist(["keep", "delete", "delete_if_created"]);
export type RollbackPolicy = v.InferOutput<typeof RollbackSchema>;

/** The fields every resource schema starts with. */
export const BASE = {
  id: v.string(),
  source: SourceLocSchema,
  service: v.optional(v.string()),
  /** Declared inside `p.host(name, …, (h) => …)`: planned only against that host. */
  host: v.optional(v.string()),
  /** Keys (`type:id`) of resources that must be applied first: compile adds the implicit ones. */
  requires: v.optional(v.array(v.string())),
};

/** What any resource is, whatever its kind. */
export type ResourceBase = {
  type: string;
  id: string;
  source: { file: string; line: number };
  service?: string;
  host?: string;
  requires?: string[];
};

// The concrete types, for modules that name them (type-only: no runtime dependency on the registry).
export type { Resource, ResourceType } from "../kinds/registry.ts";
export type { Account } from "../kinds/account.ts";
export type { Directory } from "../kinds/directory.ts";
export type { FileRes } from "../kinds/file.ts";
export type { EnvFile } from "../kinds/env-file.ts";
export type { SystemdService, SystemdTimer, UnitSections } from "../kinds/unit-file.ts";
export type { Command } from "../kinds/command.ts";
export type { Package } from "../kinds/package.ts";
export type { Firewall } from "../kinds/firewall.ts";

export function resourceKey(r: { type: string; id: string }): string {
  return `${r.type}:${r.id}`;
}

/** Parse `type:id` (the id may itself contain colons). */
export function parseKey(key: string): { type: string; id: string } | undefined {
  const i = key.indexOf(":");
  if (i <= 0 || i === key.length - 1) return undefined;
  return { type: key.slice(0, i), id: key.slice(i + 1) };
}
