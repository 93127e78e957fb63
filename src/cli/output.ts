/**
 * @internal Terminal output. Results (plans, tables, JSON) go to stdout; progress, warnings and
 * errors go to stderr, one plain line each (`warning: …`, never consola's badges), so a piped
 * `hostkit plan > plan.txt` holds only the plan. `--quiet` keeps warnings and errors only,
 * `--verbose` adds debug lines.
 */
import { consola, type LogObject } from "consola";
import type { ApplyEvent } from "../apply/applier.ts";
import { stderrColor, stdoutColor } from "./color.ts";
import { eventLine } from "./json.ts";

let setUp = false;

const paint = (code: string, text: string) => (stderrColor() ? `\x1b[${code}m${text}\x1b[0m` : text);

/** One line on stderr per consola call, with a plain `warning:`/`error:` prefix; no badges, no dates. */
function line(o: LogObject): string {
  const msg = o.args.map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a))).join(" ");
  if (o.type === "warn") return `${paint("33", "warning:")} ${msg}`;
  if (o.type === "error" || o.type === "fatal") return `${paint("31", "error:")} ${msg}`;
  if (o.type === "success") return `${paint("32", "✓")} ${msg}`;
  if (o.type === "debug" || o.type === "trace") return paint("2", `debug: ${msg}`);
  return msg;
}

export function setupOutput(o: { verbose?: boolean; quiet?: boolean } = {}): void {
  consola.level = o.quiet ? 1 : o.verbose ? 4 : 3;
  if (setUp) return;
  setUp = true;
  consola.setReporters([{ log: (obj) => void process.stderr.write(`${line(obj)}\n`) }]);
}

/** Colour for results on stdout (plans, tables). */
export function useColor(): boolean {
  return stdoutColor();
}

/** Progress as lines on stderr, or JSON event lines (kind hostkit.event) on stdout with --json. */
export function eventPrinter(json: boolean, prefix = "", target?: string): (e: ApplyEvent | { type: string; [k: string]: unknown }) => void {
  if (json) return (e) => process.stdout.write(eventLine(target !== undefined && !("target" in e) ? { ...e, target } : e));
  return (e) => {
    switch (e.type) {
      case "apply.start":
        consola.info(`${prefix}applying ${(e as { changes: number }).changes} change(s), run ${(e as { runId: string }).runId}`);
        break;
      case "change.start": {
        const c = e as Extract<ApplyEvent, { type: "change.start" }>;
        consola.debug(`${prefix}${c.action} ${c.key} (${c.reason})`);
        break;
      }
      case "op": {
        const op = e as Extract<ApplyEvent, { type: "op" }>;
        if (op.skipped) consola.info(`${prefix}  skip ${op.label} (${op.skipped})`);
        else consola.debug(`${prefix}  ${op.label}`);
        break;
      }
      case "change.done": {
        const d = e as Extract<ApplyEvent, { type: "change.done" }>;
        consola.success(`${prefix}${d.key}${d.status === "skipped" ? " (skipped)" : ""}  ${d.ms} ms`);
        break;
      }
      case "change.failed": {
        // The error itself is printed once, in the run report at the end.
        const f = e as Extract<ApplyEvent, { type: "change.failed" }>;
        consola.info(`${prefix}${paint("31", "✗")} ${f.key} failed`);
        break;
      }
      case "ssh.retry": {
        const r = e as unknown as { attempt: number; attempts: number; delayMs: number; error: string; target: string };
        consola.warn(`${prefix}ssh ${r.target}: attempt ${r.attempt}/${r.attempts} failed (${r.error}); retrying in ${r.delayMs} ms`);
        break;
      }
      default:
        break;
    }
  };
}
