/**
 * Provider declarations → resources. Each `add(decl)` is handed, with its container (service, its
 * daemon's listeners, host), to the compile handler of the provider registered under the
 * declaration's provider name; what it returns must be resources of registered kinds (checked
 * against the kind's schema here, so a provider's mistake is a clear error, not a broken plan).
 */
import * as v from "valibot";
import type { ItemDecl, ProjectDecl } from "../dsl/decl.ts";
import { record } from "../dsl/collect.ts";
import { HostKitError } from "../model/errors.ts";
import type { ListenerDecl, ProvidedItem } from "../model/provider.ts";
import { resourceKey, type Resource } from "../model/resource.ts";
import { kindOf } from "../kinds/registry.ts";

function listenersOf(items: readonly ItemDecl[]): Record<string, ListenerDecl> {
  const out: Record<string, ListenerDecl> = {};
  for (const i of items) if (i.kind === "daemon") for (const [name, l] of Object.entries(i.opts.listen ?? {})) out[name] = { port: l.port, ...(l.on !== undefined ? { on: String(l.on) } : {}) };
  return out;
}

/** Every provided declaration of the project, with its container, in declaration order per container. */
export function providedItems(project: ProjectDecl): ProvidedItem[] {
  const out: ProvidedItem[] = [];
  const take = (items: readonly ItemDecl[], extra: Omit<ProvidedItem, "decl" | "source">) => {
    for (const i of items) if (i.kind === "provided") out.push({ decl: i.decl, source: i.source, ...extra });
  };
  take(project.items, { label: `project "${project.name}"`, listeners: {} });
  for (const s of project.services) take(s.items, { label: `service "${s.name}"`, service: s.name, listeners: listenersOf(s.items) });
  for (const h of project.hosts) take(h.items, { label: `host "${h.name}"`, host: h.name, listeners: {} });
  return out;
}

/** Compile every provided declaration with its provider; errors are recorded while load() collects. */
export function compileProviders(project: ProjectDecl, declared: readonly Resource[]): Resource[] {
  const items = providedItems(project);
  if (!items.length) return [];
  const byProvider = new Map<string, ProvidedItem[]>();
  for (const it of items) {
    const registered = project.providers.some((p) => p.name === it.decl.provider);
    if (!registered) {
      const e = new HostKitError({
        subject: `${it.label} › ${it.decl.subject}`,
        source: it.source,
        message: `provider ${JSON.stringify(it.decl.provider)} is not registered`,
        hint: `register it once in the project: p.provider(${it.decl.provider}({ … }))`,
      });
      if (record(e)) continue;
      throw e;
    }
    byProvider.set(it.decl.provider, [...(byProvider.get(it.decl.provider) ?? []), it]);
  }
  const keys = new Set(declared.map(resourceKey));
  const out: Resource[] = [];
  for (const p of project.providers) {
    const mine = byProvider.get(p.name);
    if (!mine) continue;
    try {
      for (const r of p.compile(mine, p.settings, { project: project.name, declared: keys })) out.push(checked(p.name, r));
    } catch (e) {
      if (!record(e)) throw e;
    }
  }
  return out;
}

/** A provider's resource is of a registered kind and matches that kind's schema. */
function checked(provider: string, r: { type: string; id: string; source?: unknown }): Resource {
  const kind = typeof r?.type === "string" ? kindOf(r.type) : undefined;
  const subject = `provider ${JSON.stringify(provider)}`;
  if (!kind) throw new HostKitError({ subject, message: `returned a resource of unknown kind ${JSON.stringify(r?.type)} (a provider's own kinds are registered in src/kinds/registry.ts)` });
  const res = v.safeParse(kind.schema as unknown as v.GenericSchema, r);
  if (!res.success) {
    const issue = res.issues[0];
    const where = (issue.path ?? []).map((x) => String((x as { key: unknown }).key)).join(".");
    throw new HostKitError({ subject, ...(r.source ? { source: r.source as { file: string; line: number } } : {}), message: `returned an invalid ${resourceKey(r)}: ${where ? `${where}: ` : ""}${issue.message}` });
  }
  return res.output as Resource;
}
