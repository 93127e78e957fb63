/**
 * The registry of resource kinds: adding a kind is one file in this folder and one line below. The
 * `Resource` union, `ResourceSchema` (and so the plan schema) and `RESOURCE_TYPES` derive from it;
 * the planner, down plans, staleness checks, formatting, rendering, backups, secrets and dump look
 * kinds up here and never switch on a type.
 */
import * as v from "valibot";
import type { Kind, StepKind } from "../model/kind.ts";
import { account } from "./account.ts";
import { command } from "./command.ts";
import { directory } from "./directory.ts";
import { envFile } from "./env-file.ts";
import { file } from "./file.ts";
import { pkg } from "./package.ts";
import { mise, miseTool } from "./mise.ts";
import { firewall } from "./firewall.ts";
import { instance } from "./instance.ts";
import { systemdService, systemdTimer } from "./unit-file.ts";
import { symlink } from "./symlink.ts";
import { SYSTEMD_STEPS } from "./systemd-steps.ts";
import { CADDY_KINDS } from "../caddy/kinds.ts";

/** Every kind, in the order `hostkit schema` and docs list them. */
export const KINDS = [account, directory, file, envFile, systemdService, systemdTimer, command, pkg, mise, miseTool, symlink, firewall, instance,
  // Providers' kinds: one line each (the provider module itself is served by src/providers.ts).
  ...CADDY_KINDS] as const;

type KindResource<K> = K extends Kind<infer R, unknown> ? R : never;
export type Resource = KindResource<(typeof KINDS)[number]>;
export type ResourceType = Resource["type"];

export const RESOURCE_TYPES: readonly ResourceType[] = KINDS.map((k) => k.type);

// Each kind's schema is a strict object tagged by `type`; valibot's variant needs them as its option type.
export const ResourceSchema: v.GenericSchema<unknown, Resource> = v.variant("type", KINDS.map((k) => k.schema) as unknown as v.VariantOptions<"type">) as never;

/** Each kind's strict object schema (for schemas that extend resources, e.g. dump's keyed resources). */
export const RESOURCE_SCHEMAS = KINDS.map((k) => k.schema);

/** Derived steps (not resources) and their ops. */
export const STEPS: readonly StepKind[] = SYSTEMD_STEPS;

const byType = new Map<string, Kind<any, any>>(KINDS.map((k) => [k.type, k as Kind<any, any>]));
const stepByType = new Map(STEPS.map((s) => [s.type, s]));

/** The kind of a resource type (undefined for derived steps and unknown types). */
export function kindOf(type: string): Kind<any, any> | undefined {
  return byType.get(type);
}

export function stepOf(type: string): StepKind | undefined {
  return stepByType.get(type);
}

/**
 * Resources grouped by type, in first-seen order, keeping only those whose kind `has` what the caller
 * loops over (a batch probe, a check, a resolve step…): the planner's per-kind passes start here.
 */
export function byKind<R extends { type: string }>(rs: readonly R[], has: (k: Kind<any, any>) => unknown = () => true): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of rs) {
    const k = kindOf(r.type);
    if (!k || !has(k)) continue;
    const list = out.get(r.type);
    if (list) list.push(r);
    else out.set(r.type, [r]);
  }
  return out;
}
