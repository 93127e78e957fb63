/** @internal Terminal output: colour rules and apply progress lines. */
import { consola } from "consola";
import type { ApplyEvent } from "../apply/applier.ts";

export function useColor(): boolean {
  return !process.env.NO_COLOR && !!process.stdout.isTTY;
}

/** Progress as lines on stderr (consola), or JSON lines on stdout with --json. */
export function eventPrinter(json: boolean, prefix = ""): (e: ApplyEvent | { type: string; [k: string]: unknown }) => void {
  if (json) return (e) => process.stdout.write(`${JSON.stringify(e)}\n`);
  return (e) => {
    switch (e.type) {
      case "apply.start":
        consola.info(`${prefix}applying ${(e as { changes: number }).changes} change(s), run ${(e as { runId: string }).runId}`);
        break;
      case "op": {
        const op = e as Extract<ApplyEvent, { type: "op" }>;
        if (op.skipped) consola.log(`${prefix}  skip ${op.label} (${op.skipped})`);
        break;
      }
      case "change.done": {
        const d = e as Extract<ApplyEvent, { type: "change.done" }>;
        consola.success(`${prefix}${d.key}${d.status === "skipped" ? " (skipped)" : ""}  ${d.ms} ms`);
        break;
      }
      case "change.failed": {
        const f = e as Extract<ApplyEvent, { type: "change.failed" }>;
        consola.error(`${prefix}${f.key}: ${f.error}`);
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
