/** The human view of a plan: `+ ~ - run` per change, diffs for text content (secrets masked), a summary. */
import type { Change, Plan } from "../model/plan.ts";
import type { FileRes } from "../model/resource.ts";
import { formatMode } from "../model/mode.ts";
import { unifiedDiff } from "./text-diff.ts";

/** What a plan says in place of an env value it does not show. */
export const SECRET_CHANGED = "(secret value changed)";

const SYMBOL: Record<Change["action"], string> = { create: "+", update: "~", delete: "-", run: "run", noop: "=" };

export interface FormatOptions {
  /** Colour output (ANSI). */
  color?: boolean;
  /** Show content diffs (default true). */
  diffs?: boolean;
}

function paint(color: boolean, code: number, s: string): string {
  return color ? `\x1b[${code}m${s}\x1b[0m` : s;
}

function contentOf(x: Record<string, unknown> | undefined): string | undefined {
  if (!x) return undefined;
  if (typeof x.content === "string") return x.content;
  if (typeof x.contentBase64 === "string") return `(binary, ${Buffer.from(x.contentBase64, "base64").length} bytes)`;
  return undefined;
}

/** A diff is for reading: very long lines and very long diffs are cut, saying how much was left out. */
const MAX_LINE = 200;
const MAX_LINES = 120;
function clip(lines: string[]): string[] {
  const cut = lines.map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}… (${l.length - MAX_LINE} more characters)` : l));
  return cut.length > MAX_LINES ? [...cut.slice(0, MAX_LINES), `… ${cut.length - MAX_LINES} more lines`] : cut;
}

function diffLines(c: Change, color: boolean): string[] {
  const before = c.before as Record<string, unknown> | undefined;
  const after = c.after as Record<string, unknown> | undefined;
  if (c.type === "env_file") {
    const lines: string[] = [];
    const oldSet = (before?.set ?? {}) as Record<string, string>;
    const newSet = (after?.set ?? {}) as Record<string, string>;
    const keys = (before?.keys ?? []) as string[];
    for (const k of Object.keys(newSet).sort()) {
      if (oldSet[k] === newSet[k]) continue;
      // A previous value is never in a plan (it may have been a secret): only that it differs.
      lines.push(keys.includes(k) ? `~ ${k}: ${SECRET_CHANGED} → ${JSON.stringify(newSet[k])}` : `+ ${k}=${JSON.stringify(newSet[k])}`);
    }
    for (const [k, ref] of Object.entries((after?.secret ?? {}) as Record<string, { $secret: { env: string } }>)) {
      if (!keys.includes(k)) lines.push(`+ ${k}=(secret from $${ref.$secret.env})`);
    }
    return lines;
  }
  if (c.action === "delete" || c.action === "run") return [];
  let newText: string | undefined;
  if (c.type === "file" && c.resource) {
    const r = c.resource as FileRes;
    newText = r.content ?? (r.contentBase64 !== undefined ? `(binary, ${Buffer.from(r.contentBase64, "base64").length} bytes)` : undefined);
  } else newText = contentOf(after);
  const hidden = typeof before?.contentHidden === "string" ? `previous content not shown: ${before.contentHidden}` : undefined;
  const oldText = contentOf(before) ?? "";
  const sameBytes = hidden !== undefined && typeof before?.sha256 === "string" && before.sha256 === after?.sha256;
  if (newText === undefined || sameBytes || (!hidden && oldText === newText)) return [];
  // The plan does not hold content that may be secret: say so, then the declared content as new lines.
  if (hidden && newText.startsWith("(binary")) return [`content: (${hidden}) → ${newText}`];
  if (hidden) return [`(${hidden})`, ...paintDiff(clip(newText.replace(/\n$/, "").split("\n").map((l) => `+${l}`)), color)];
  if (newText.startsWith("(binary") || oldText.startsWith("(binary")) return [`content: ${oldText || "(none)"} → ${newText}`];
  return paintDiff(clip(oldText === "" ? newText.replace(/\n$/, "").split("\n").map((l) => `+${l}`) : unifiedDiff(oldText, newText)), color);
}

function paintDiff(lines: string[], color: boolean): string[] {
  return lines.map((l) => (l.startsWith("+") ? paint(color, 32, l) : l.startsWith("-") ? paint(color, 31, l) : l.startsWith("@@") ? paint(color, 36, l) : l));
}

export function formatChange(c: Change, opts: FormatOptions = {}): string {
  const color = opts.color ?? false;
  const sym = SYMBOL[c.action];
  const code = c.action === "create" ? 32 : c.action === "delete" ? 31 : c.action === "update" ? 33 : c.action === "run" ? 36 : 2;
  let line = `${paint(color, code, `${sym} ${c.key}`)}  ${paint(color, 2, c.reason)}`;
  if (c.type === "command" && c.action === "run") line += `\n    $ ${((c.after as { exec?: string[] })?.exec ?? []).map((a) => JSON.stringify(a)).join(" ")}`;
  const meta = c.after as { mode?: number } | undefined;
  if ((c.action === "create") && meta && typeof meta.mode === "number" && c.type !== "account") line += paint(color, 2, `  (${formatMode(meta.mode)})`);
  if (c.warning) line += `\n    ${paint(color, 33, `warning: ${c.warning}`)}`;
  const lines = opts.diffs === false ? [] : diffLines(c, color);
  return lines.length ? `${line}\n${lines.map((l) => `    ${l}`).join("\n")}` : line;
}

export function formatSummary(plan: Plan): string {
  const s = plan.summary;
  const total = s.create + s.update + s.delete + s.run;
  if (total === 0) return `No changes. ${s.noop} resource(s) already match.`;
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.run} to run, ${s.noop} unchanged.`;
}

/**
 * The plan as text for people.
 * @example
 * console.log(formatPlan(plan));
 */
export function formatPlan(plan: Plan, opts: FormatOptions = {}): string {
  const t = plan.target;
  const where = t.transport === "root" ? `root ${t.root}` : t.transport === "ssh" ? `${t.user ? `${t.user}@` : ""}${t.host}${t.port && t.port !== 22 ? `:${t.port}` : ""}` : "this machine";
  const head = `${plan.direction === "down" ? "Down plan" : "Plan"} for ${plan.project} on ${t.name} (${where})`;
  const body = plan.changes.filter((c) => c.action !== "noop").map((c) => formatChange(c, opts));
  const warnings = plan.warnings.map((w) => `${opts.color ? "\x1b[33m" : ""}warning: ${w}${opts.color ? "\x1b[0m" : ""}`);
  return [head, "", ...body, ...(body.length ? [""] : []), ...warnings, formatSummary(plan)].join("\n");
}
