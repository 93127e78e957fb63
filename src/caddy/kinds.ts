/**
 * The Caddy provider's resource kinds (registered with one line in src/kinds/registry.ts):
 * - `caddy_site`: one site file under the sites dir. Written, then the whole config validated with
 *   `caddy validate` before anything reloads Caddy; a rejected site is replaced by the previous file
 *   and the apply fails with Caddy's error line. A change notifies `reload caddy.service` (reload,
 *   never restart: Caddy's reload is transactional).
 * - `caddy_import`: HostKit's one marked `import <sitesDir>/*.caddy` line in the main Caddyfile;
 *   the rest of that file (the host's other sites, global options) is never touched.
 */
import * as v from "valibot";
import { AbsPath, BASE, RollbackSchema } from "../model/resource.ts";
import { defineFact, defineKind, factOf, onTarget, backupPayload, type HostFacts, type Inverse, type Listen, type KindChange, type Op, type ProbeOutput, type TargetCtx } from "../model/kind.ts";
import type { Change } from "../model/plan.ts";
import { REMOVE_PATH, WRITE_FILE } from "../kinds/scripts.ts";
import { beforeOf, directoryInTheWay, fileProbe, parseFileFact, removeOp, sha256, writeOp, type FileFact } from "../kinds/file.ts";
import { metaDiffs } from "../kinds/stat.ts";
import { deleteCreated, sameKey, type Rec } from "../kinds/inverse.ts";
import { serviceState } from "../kinds/systemd-steps.ts";
import { contentDiff, contentText } from "../plan/text-diff.ts";
import { CADDY_APPEND_IMPORT, CADDY_VALIDATE } from "./scripts.ts";
import { IMPORT_MARKER, importLine, mainCaddyfile } from "./caddyfile.ts";
import { parseAddress } from "./address.ts";

const MonitorSchema = v.strictObject({
  http: v.optional(v.strictObject({ url: v.string(), status: v.number() })),
  severity: v.picklist(["critical", "warning", "info"]),
});

export const CaddySiteSchema = v.strictObject({
  ...BASE,
  type: v.literal("caddy_site"),
  /** The site file: `<sitesDir>/<name>.caddy`. */
  path: AbsPath,
  /** The rendered site block. */
  content: v.string(),
  /** The site block's addresses (the id first). */
  addresses: v.array(v.string()),
  /** What `reverse_proxy` dials (a listener rendered as host:port). */
  upstreams: v.array(v.string()),
  /** The config `caddy validate` checks (it imports the sites dir). */
  mainPath: AbsPath,
  /** The unit reloaded after a change. */
  unit: v.string(),
  /** Validate as this user ('' = as the applier): Caddy's own, so it reads files as the service will. */
  validateAs: v.string(),
  /** Monitoring intent, for the observability service (nothing here runs it). */
  monitor: v.optional(MonitorSchema),
  /** Default collection intent: access logs and HTTP metrics. */
  telemetry: v.strictObject({ logs: v.union([v.literal("access"), v.literal(false)]), metrics: v.union([v.literal("http"), v.literal(false)]) }),
  rollback: RollbackSchema,
});
export type CaddySiteRes = v.InferOutput<typeof CaddySiteSchema>;

export const CaddyImportSchema = v.strictObject({
  ...BASE,
  type: v.literal("caddy_import"),
  /** The main Caddyfile. */
  path: AbsPath,
  sitesDir: AbsPath,
  rollback: RollbackSchema,
});
export type CaddyImportRes = v.InferOutput<typeof CaddyImportSchema>;

/** Whether `caddy` is on the target when the plan is made (the plan says when it cannot validate). */
export const CADDY_PRESENT = defineFact<boolean>({
  name: "caddy.present",
  probe: (ctx) => (ctx.root ? [] : [["sh", "-c", "command -v caddy"]]),
  parse: (out, ctx) => !ctx.root && out[0]?.code === 0,
});

const META = { owner: "root", group: "root", mode: 0o644 };

type SiteFact = FileFact & { caddy: boolean };

function validateOp(r: CaddySiteRes, how: "write" | "remove" | "none", previous: string | undefined, root: string | undefined): Op {
  return {
    label: `validate ${r.path} with caddy validate`,
    argv: ["sh", "-c", CADDY_VALIDATE, "hostkit-caddy-validate", r.mainPath, r.validateAs, how, r.path, WRITE_FILE, REMOVE_PATH],
    ...(how === "write" && previous !== undefined ? { stdin: { text: previous }, sizedStdin: true } : {}),
    ...(root ? { skip: "offline root: Caddy is not run" } : {}),
  };
}

/**
 * How both Caddy kinds read their file: its stat, hash and content, plus whether Caddy is on the
 * target (to say whether the plan could validate). The basis leaves content and that flag out.
 */
const readsCaddyFile = {
  facts: [CADDY_PRESENT],
  probe: (r: { path: string }, ctx: TargetCtx) => fileProbe(onTarget(ctx, r.path)),
  parse: (_r: unknown, out: ProbeOutput[], facts: HostFacts, ctx: TargetCtx) => ({ ...parseFileFact(out, facts, ctx), caddy: factOf(facts, CADDY_PRESENT) ?? false }),
  basis: (f: FileFact & { caddy: boolean }) => ({ ...f, caddy: undefined, content: undefined, contentBase64: undefined }),
};

/** How the previous file comes back when Caddy rejects this change. */
function restoreOf(c: KindChange<CaddySiteRes>): { how: "write" | "remove" | "none"; previous?: string } {
  const b = (c.before ?? {}) as Rec;
  if (!b.exists) return { how: "remove" };
  return typeof b.content === "string" ? { how: "write", previous: b.content } : { how: "none" };
}

export const caddySite = defineKind<CaddySiteRes, SiteFact>({
  type: "caddy_site",
  schema: CaddySiteSchema,
  ...readsCaddyFile,
  diff(r, f) {
    const after = { sha256: sha256(r.content), ...META };
    const before = beforeOf(f);
    const check = f.caddy ? "validated by caddy validate before Caddy reloads" : "Caddy is not on the target now: validated at apply time only if it is installed by then";
    if (!f.exists) return { action: "create", reason: `site file does not exist (${check})`, before, after };
    if (f.fileType !== "regular file") return { action: "update", reason: `is a ${f.fileType}, not a file`, before, after };
    const why = f.sha256 !== after.sha256 ? ["site differs"] : [];
    why.push(...metaDiffs(f, META));
    return why.length ? { action: "update", reason: `${why.join(", ")} (${check})`, before, after } : { action: "noop", reason: "site matches", before, after };
  },
  ops(c, ctx) {
    const r = c.resource!;
    const back = restoreOf(c);
    if (c.action === "delete") return [removeOp(`remove site ${r.path}`, r.path, "file", META, ctx.root), validateOp(r, back.how, back.previous, ctx.root)];
    const payload = backupPayload(c.after?.content) ?? { text: r.content };
    return [writeOp(`write site ${r.path}`, r.path, payload, META, ctx.root), validateOp(r, back.how, back.previous, ctx.root)];
  },
  writes: (r) => ({ path: r.path, owner: "root", trust: false }),
  check: { problems: (r, f) => directoryInTheWay(r.path, f) },
  listens: siteListeners,
  contentPath: (r) => r.path,
  notify: (c) => [serviceState(c.resource?.unit ?? "caddy.service", "reload", `reload (not restart): Caddy site ${c.id} ${c.action === "delete" ? "removed" : "written"}`, c.source ? { source: c.source } : {})],
  down: {
    invert: invertSite,
    settled: (c) => (c.action === "delete" ? { exists: false } : c.action === "create" || c.action === "update" ? { exists: true, sha256: (c.after as Rec | undefined)?.sha256 } : undefined),
    observed: (f) => (f.exists ? { exists: true, sha256: f.sha256 } : { exists: false }),
  },
  formatDiff: (c, paint) => (c.action === "delete" || c.action === "run" ? [] : contentDiff(c.before, c.resource?.content ?? contentText(c.after), (c.after as Rec | undefined)?.sha256 as string | undefined, paint)),
  render: (r) => r.content,
  describe(r) {
    const to = r.upstreams.length ? ` → ${r.upstreams.join(" ")}` : "";
    const mon = r.monitor ? `; monitor ${r.monitor.http ? `http ${r.monitor.http.url} expect ${r.monitor.http.status}` : "only"} (${r.monitor.severity})` : "";
    const tel = [r.telemetry.logs && "logs: access", r.telemetry.metrics && "metrics: http"].filter(Boolean).join(", ");
    return `${r.addresses.join(", ")}${to}  file ${r.path}${mon}${tel ? `; ${tel}` : ""}`;
  },
});

/**
 * The ports Caddy listens on for a site, on every address (Caddy binds all interfaces unless told
 * otherwise): the address's port, else 80 for http://, else 443 and 80 (automatic HTTPS redirects).
 * Caddy's sites share them; a daemon on one of them clashes (src/plan/validate.ts).
 */
function siteListeners(r: CaddySiteRes): Listen[] {
  const out: Listen[] = [];
  for (const a of r.addresses) {
    const p = parseAddress(a);
    if ("error" in p) continue;
    const ports = p.port !== undefined ? [p.port] : p.scheme === "http" ? [80] : [443, 80];
    for (const port of ports) if (!out.some((l) => l.port === port)) out.push({ name: `caddy site ${r.id}`, port, on: "any", shared: "caddy" });
  }
  return out;
}

function invertSite(c: KindChange<CaddySiteRes>, ctx: { backups: Readonly<Record<string, { run: string; id: string; sha256: string }>> }): Inverse {
  const r = c.resource!;
  const b = (c.before ?? {}) as Rec;
  if (c.action === "create") return deleteCreated(c, r, { content: r.content, sha256: sha256(r.content) });
  const backup = ctx.backups[c.key];
  const prev = typeof b.content === "string" ? b.content : undefined;
  if (prev === undefined && !backup) return { warning: `${c.key}: its previous site file was not kept; not restored` };
  const resource: CaddySiteRes = { ...r, content: prev ?? "" };
  const after: Rec = { sha256: backup?.sha256 ?? b.sha256, ...META, ...(backup ? { content: { $backup: backup } } : {}) };
  if (c.action === "delete") return { change: { ...sameKey(c), action: "create", reason: "recreate the removed site", before: { exists: false }, after, resource } };
  return { change: { ...sameKey(c), action: "update", reason: "restore the previous site", before: { exists: true, sha256: sha256(r.content), content: r.content }, after, resource } };
}

type ImportFact = FileFact & { caddy: boolean };

export const caddyImport = defineKind<CaddyImportRes, ImportFact>({
  type: "caddy_import",
  schema: CaddyImportSchema,
  ...readsCaddyFile,
  diff(r, f) {
    const before = beforeOf(f);
    if (!f.exists) return { action: "create", reason: `no ${r.path} yet: the import line is added to the file Caddy's package installs (or a new one)`, before, after: { append: importLine(r.sitesDir) } };
    if (f.fileType !== "regular file" || f.content === undefined) return { action: "update", reason: `${r.path} is not a readable text file`, before, after: { append: importLine(r.sitesDir) } };
    const next = mainCaddyfile(f.content, r.sitesDir, { mainPath: r.path });
    if (!next.changed) return { action: "noop", reason: "imports the sites dir", before, after: { sha256: f.sha256 } };
    return { action: "update", reason: `add ${JSON.stringify(importLine(r.sitesDir))} (the rest of the file is kept)`, before, after: { sha256: sha256(next.content), content: next.content, owner: f.owner, group: f.group, mode: f.mode } };
  },
  ops(c, ctx) {
    const r = c.resource!;
    const a = (c.after ?? {}) as Rec;
    if (typeof a.content === "string") {
      const meta = { owner: String(a.owner ?? "root"), group: String(a.group ?? "root"), mode: typeof a.mode === "number" ? a.mode : 0o644 };
      return [writeOp(`write ${r.path}`, r.path, backupPayload(a.content) ?? { text: a.content }, meta, ctx.root)];
    }
    return [{ label: `add the sites import to ${r.path}`, argv: ["sh", "-c", CADDY_APPEND_IMPORT, "hostkit-caddy-import", r.path, importLine(r.sitesDir), IMPORT_MARKER, ctx.root ?? "", WRITE_FILE] }];
  },
  writes: (r) => ({ path: r.path, owner: "root", trust: false }),
  down: {
    invert(c): Inverse {
      const b = (c.before ?? {}) as Rec;
      if (!b.exists || typeof b.content !== "string") return { kept: `${c.key} (the import line stays: the file was not HostKit's)` };
      const resource = c.resource!;
      return { change: { ...sameKey(c), action: "update", reason: "restore the main Caddyfile without the import line", before: { exists: true, sha256: (c.after as Rec | undefined)?.sha256 }, after: { sha256: b.sha256, content: b.content, owner: b.owner, group: b.group, mode: b.mode }, resource } };
    },
    settled: (c) => (c.action === "update" && typeof (c.after as Rec | undefined)?.sha256 === "string" ? { exists: true, sha256: (c.after as Rec).sha256 } : undefined),
    observed: (f) => (f.exists ? { exists: true, sha256: f.sha256 } : { exists: false }),
  },
  describe: (r) => `import ${r.sitesDir}/*.caddy`,
});

export const CADDY_KINDS = [caddySite, caddyImport] as const;

/** For tests: the steps a site change notifies. */
export function notifiedBy(c: Change): Change[] {
  return caddySite.notify!(c as KindChange<CaddySiteRes>);
}
