/** The human view of a plan: `+ ~ - run` per change, diffs for text content (secrets masked), a summary. */
import type { Change, Plan } from "../model/plan.ts";
import { formatMode } from "../model/mode.ts";
import { kindOf } from "../kinds/registry.ts";
import { contentDiff, contentText } from "./text-diff.ts";

export { SECRET_CHANGED } from "../kinds/env-file.ts";

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

/** The lines under a change: its kind's own (content diffs, env values, a command's argv), or a diff of `content`. */
function diffLines(c: Change, color: boolean): string[] {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const own = kindOf(c.type)?.formatDiff?.(c, paint);
  if (own) return own;
  if (c.action === "delete" || c.action === "run") return [];
  return contentDiff(c.before, contentText(c.after), c.after?.sha256, paint);
}

export function formatChange(c: Change, opts: FormatOptions = {}): string {
  const color = opts.color ?? false;
  const sym = SYMBOL[c.action];
  const code = c.action === "create" ? 32 : c.action === "delete" ? 31 : c.action === "update" ? 33 : c.action === "run" ? 36 : 2;
  let line = `${paint(color, code, `${sym} ${c.key}`)}  ${paint(color, 2, c.reason)}`;
  const meta = c.after as { mode?: number } | undefined;
  if (c.action === "create" && meta && typeof meta.mode === "number") line += paint(color, 2, `  (${formatMode(meta.mode)})`);
  if (c.warning) line += `\n    ${paint(color, 33, `warning: ${c.warning}`)}`;
  const lines = opts.diffs === false ? [] : diffLines(c, color);
  return lines.length ? `${line}\n${lines.map((l) => `    ${l}`).join("\n")}` : line;
}

export function formatSummary(plan: Plan): string {
  const s = plan.summary;
  const total = s.create + s.update + s.delete + s.run;
  const unplanned = plan.incomplete?.length ? ` ${plan.incomplete.length} declared resource(s) could not be planned (see the warning).` : "";
  if (total === 0) return `No changes. ${s.noop} resource(s) already match.${unplanned}`;
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.run} to run, ${s.noop} unchanged.${unplanned}`;
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
