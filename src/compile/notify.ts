/**
 * Handlers for config: which changes restart (or reload) a daemon. A daemon restarts when
 * - an env file it loads changes (unless that env file says `notify: false`, or "reload");
 * - a file or env file declared in its own service changes (default; `notify: "reload" | false`);
 * - a resource it names in `restartOn` changes (any declared key: `file:/etc/app/app.toml`).
 * `notify: "reload"` needs the daemon's `execReload` (ExecReload=): it is a load error without one.
 * The handler machinery (src/plan/handlers.ts) restarts each unit at most once per plan, however
 * many of its inputs changed, and a restart covers a reload.
 */
import type { ProjectDecl, ItemDecl } from "../dsl/decl.ts";
import { HostKitError, type Diagnostic } from "../model/errors.ts";
import { resourceKey, type Resource, type SystemdService } from "../model/resource.ts";

type Notify = "restart" | "reload" | false;

function notifyOf(i: ItemDecl): { key: string; notify: Notify } | undefined {
  if (i.kind === "file") return { key: `file:${i.path}`, notify: i.opts.notify ?? "restart" };
  if (i.kind === "env") return { key: `env_file:${i.path}`, notify: i.opts.notify ?? "restart" };
  return undefined;
}

export function wireNotify(project: ProjectDecl, resources: Resource[]): void {
  const all = [...project.items, ...project.services.flatMap((s) => s.items), ...project.hosts.flatMap((h) => h.items)];
  const declared = new Set(resources.map(resourceKey));
  // An env file's own choice, wherever it is declared (a daemon may load one declared elsewhere).
  const envNotify = new Map<string, Notify>(all.flatMap((i) => (i.kind === "env" ? [[`env_file:${i.path}`, i.opts.notify ?? "restart"] as const] : [])));
  const problems: Diagnostic[] = [];
  for (const svc of project.services) {
    const daemon = svc.items.find((i): i is Extract<ItemDecl, { kind: "daemon" }> => i.kind === "daemon");
    if (!daemon) continue;
    const unit = resources.find((r): r is SystemdService => r.type === "systemd_service" && r.id === daemon.unit && r.service === svc.name && !r.host);
    if (!unit) continue;
    const restart = new Set<string>();
    const reload = new Set<string>();
    const put = (key: string, n: Notify) => {
      if (n === "restart") restart.add(key);
      else if (n === "reload") reload.add(key);
    };
    for (const k of unit.restartOn) put(k, envNotify.get(k) ?? "restart");
    for (const i of svc.items) {
      const n = notifyOf(i);
      if (n) put(n.key, n.notify);
    }
    for (const k of daemon.opts.restartOn ?? []) {
      if (!declared.has(k)) problems.push({ subject: `service "${svc.name}" › daemon`, key: "restartOn", source: daemon.source, message: `names ${k}, which is not declared`, hint: "keys look like file:/etc/app/app.toml or env_file:/etc/app/app.env (see hostkit dump)" });
      else restart.add(k);
    }
    for (const k of restart) reload.delete(k);
    unit.restartOn = [...restart];
    // `systemctl reload` of a unit without ExecReload= fails at apply ("Job type reload is not
    // applicable"), which an offline root never shows: refuse it here, at the declaration asking for it.
    const canReload = Object.values(unit.sections).some((lines) => lines.some(([k]) => k === "ExecReload"));
    if (reload.size && !canReload) {
      for (const k of reload) {
        const decl = all.find((i) => notifyOf(i)?.key === k && notifyOf(i)?.notify === "reload");
        problems.push({
          subject: decl ? `${k} (service "${svc.name}")` : `service "${svc.name}" › daemon`,
          key: "notify",
          source: decl?.source ?? daemon.source,
          message: `"reload", but the daemon of service "${svc.name}" (${unit.id}) declares no execReload: systemd cannot reload it`,
          hint: 'declare how it reloads, daemon({ execReload: ["/bin/sh", "-c", "kill -HUP \\"$MAINPID\\""] }), or use notify: "restart" (the default)',
        });
      }
    } else if (reload.size) unit.reloadOn = [...reload];
  }
  if (problems.length) throw new HostKitError(problems);
}
