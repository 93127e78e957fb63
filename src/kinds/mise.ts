/**
 * `mise` (the binary, `mise:/usr/local/bin/mise`) and `mise_tool` (one tool at an exact version,
 * `mise_tool:<tool>`), declared with `b.mise({ tools })` in a bootstrap.
 *
 * - mise: installed through the install-script contract when the binary is missing (the script URL
 *   is configurable; default https://mise.run). It requires the packages of its bootstrap (curl…).
 * - mise_tool: `mise install --system tool@version` (MISE_SYSTEM_DATA_DIR). All tools are read with
 *   ONE `mise ls --installed --json` per host (probeBatch), never one command per tool.
 * - Down: both are kept (a system-wide runtime other things may use); the down plan says so.
 */
import * as v from "valibot";
import { AbsPath, BASE } from "../model/resource.ts";
import { defineKind, type ProbeOutput } from "../model/kind.ts";
import { text } from "../targets/runner.ts";
import { INSTALL_MISE, installToolArgv, miseProbe, parseMiseLs } from "../packages/mise.ts";

export const MiseSchema = v.strictObject({
  ...BASE,
  type: v.literal("mise"),
  path: AbsPath,
  installUrl: v.string(),
  dataDir: AbsPath,
});
export type Mise = v.InferOutput<typeof MiseSchema>;

export const MiseToolSchema = v.strictObject({
  ...BASE,
  type: v.literal("mise_tool"),
  tool: v.string(),
  version: v.string(),
  /** The mise binary and data directory of its declaration. */
  mise: AbsPath,
  dataDir: AbsPath,
});
export type MiseTool = v.InferOutput<typeof MiseToolSchema>;

const skipOffline = (root?: string) => (root ? { skip: "offline root: mise installs only on live hosts" } : {});

export const mise = defineKind<Mise, { installed: boolean; version?: string }>({
  type: "mise",
  schema: MiseSchema,
  probe: (r) => [miseProbe(r.path, r.dataDir)[0]!],
  parse(_r, out) {
    const o = out[0];
    if (!o || o.code !== 0) return { installed: false };
    const version = text(o.stdout).trim().split(/\s+/)[0];
    return { installed: true, ...(version ? { version: version.slice(0, 64) } : {}) };
  },
  diff(r, f) {
    if (!f.installed) return { action: "create", reason: `mise is not installed at ${r.path} (install script ${r.installUrl})`, before: { installed: false }, after: { installed: true, path: r.path } };
    return { action: "noop", reason: `mise ${f.version ?? ""} is installed`.replace("  ", " "), before: { installed: true }, after: { installed: true, path: r.path } };
  },
  ops: (c, ctx) => [{ label: `install mise at ${c.resource!.path} (${c.resource!.installUrl})`, argv: ["sh", "-c", INSTALL_MISE, "hostkit-install-mise", c.resource!.installUrl, c.resource!.path], ...skipOffline(ctx.root) }],
  down: {
    invert: (c) => (c.action === "create" ? { kept: `${c.key} (mise is kept)` } : {}),
    settled: (c) => (c.action === "create" ? { installed: true } : undefined),
    observed: (f) => ({ installed: f.installed }),
  },
  unplanned: (_rs, ctx) => (ctx.root ? "offline root: mise is not planned: it is installed only on live hosts" : undefined),
  describe: (r) => `from ${r.installUrl}`,
});

export const miseTool = defineKind<MiseTool, { installed: string[]; has: boolean }>({
  type: "mise_tool",
  schema: MiseToolSchema,
  probe: (r) => [miseProbe(r.mise, r.dataDir)[1]!],
  probeBatch(rs) {
    // One listing for every tool (one mise declaration per host: they share the binary and data dir).
    const first = rs[0]!;
    return { cmds: [miseProbe(first.mise, first.dataDir)[1]!], split: (out: ProbeOutput[]) => rs.map(() => [out[0]!]) };
  },
  parse(r, out) {
    const o = out[0];
    const installed = o && o.code === 0 ? (parseMiseLs(text(o.stdout), r.dataDir).get(r.tool) ?? []) : [];
    return { installed, has: installed.includes(r.version) };
  },
  diff(r, f) {
    const after = { tool: r.tool, version: r.version, installed: true };
    if (f.has) return { action: "noop", reason: `${r.tool}@${r.version} is installed`, before: after, after };
    const others = f.installed.length ? ` (installed: ${f.installed.join(", ")})` : "";
    return { action: "create", reason: `${r.tool}@${r.version} is not installed under ${r.dataDir}${others}`, before: { tool: r.tool, version: r.version, installed: false }, after };
  },
  basis: (f) => ({ has: f.has, installed: [...f.installed].sort() }),
  ops: (c, ctx) => {
    const r = c.resource!;
    return [{ label: `mise install --system ${r.tool}@${r.version}`, argv: installToolArgv(r.mise, r.dataDir, r.tool, r.version), ...skipOffline(ctx.root) }];
  },
  down: {
    invert: (c) => (c.action === "create" ? { kept: `${c.key} (mise tools are kept)` } : {}),
    settled: (c) => (c.action === "create" ? { installed: true } : undefined),
    observed: (f) => ({ installed: f.has }),
  },
  unplanned: (rs, ctx) => (ctx.root ? `offline root: ${rs.length} mise tool(s) are not planned: they are installed only on live hosts` : undefined),
  describe: (r) => `${r.tool}@${r.version}`,
});
