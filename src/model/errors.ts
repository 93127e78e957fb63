/**
 * User-facing errors. A diagnostic names what is wrong, which declaration, which key, and where
 * (infra file:line). Diagnostics are data; they are thrown only at the edge as `HostKitError`, and
 * `src/main.ts` prints them without a stack trace.
 */
import type { SourceLoc } from "./source.ts";
import { formatLoc } from "./source.ts";

export interface Diagnostic {
  message: string;
  /** The declaration, e.g. `service "exograph" › daemon` or a resource key. */
  subject?: string;
  /** The option key, e.g. `restartSec` or `isolate.writable[1]`. */
  key?: string;
  source?: SourceLoc;
  hint?: string;
}

export class HostKitError extends Error {
  override readonly name = "HostKitError";
  readonly diagnostics: Diagnostic[];
  /** Process exit code to use when this reaches the CLI edge. */
  readonly exitCode: number;
  constructor(diagnostics: Diagnostic | Diagnostic[], exitCode = 1) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map(formatDiagnostic).join("\n"));
    this.diagnostics = list;
    this.exitCode = exitCode;
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.source ? `${formatLoc(d.source)}: ` : "";
  const subject = d.subject ? `${d.subject}${d.key ? ` › ${d.key}` : ""}: ` : d.key ? `${d.key}: ` : "";
  const hint = d.hint ? `\n  hint: ${d.hint}` : "";
  return `${where}${subject}${d.message}${hint}`;
}

/** Shorthand for throwing one diagnostic. */
export function fail(d: Diagnostic): never {
  throw new HostKitError(d);
}
