/**
 * @internal The human report of a run that did not succeed, on stderr: the error once (the failed
 * change and why), then what was applied, what was not, and what a rollback did. Progress lines
 * before it never repeat the error text.
 */
import type { RunOutcome } from "../apply/rollback.ts";
import { stderrColor } from "./color.ts";

const red = (t: string) => (stderrColor() ? `\x1b[31m${t}\x1b[0m` : t);

export function runReport(r: RunOutcome, who = ""): string {
  const keys = (s: string[]) => r.results.filter((x) => s.includes(x.status)).map((x) => x.key);
  const applied = keys(["applied", "skipped"]);
  const failed = r.results.filter((x) => x.status === "failed");
  const pending = keys(["pending"]);
  const lines = [`${red("error:")} ${who}run ${r.runId} ${r.status}.`];
  for (const f of failed) lines.push(`  failed: ${f.key}: ${f.error}`);
  lines.push(`  applied (${applied.length}): ${applied.join(", ") || "none"}`, `  not applied (${pending.length}): ${pending.join(", ") || "none"}`);
  const rb = r.rollback;
  if (!rb) return lines.join("\n");
  // A failed change's error is printed above: name the change only.
  const cause = failed.find((f) => r.failure?.startsWith(`${f.key} failed`));
  lines.push(`  rolled back because ${cause ? `${cause.key} failed` : (r.failure ?? "the run failed")}`);
  if (rb.error) lines.push(`  the rollback could not run: ${rb.error}`);
  else if (!rb.result) lines.push("  nothing to roll back: the run applied nothing reversible");
  else {
    const x = rb.result;
    const reverted = x.results.filter((c) => c.status === "applied" || c.status === "skipped").map((c) => c.key);
    lines.push(`  rollback run ${x.runId} ${x.status}: reverted (${reverted.length}): ${reverted.join(", ") || "none"}`);
    for (const f of x.results.filter((c) => c.status === "failed")) lines.push(`  rollback failed: ${f.key}: ${f.error}`);
    const left = x.results.filter((c) => c.status === "pending").map((c) => c.key);
    if (left.length) lines.push(`  not reverted (${left.length}): ${left.join(", ")}`);
  }
  for (const w of rb.plan.warnings) lines.push(`  warning: ${w}`);
  return lines.join("\n");
}

/** Progress lines for run events (rollback start/end, run record), without the failure text. */
export function runEventNote(e: { type: string; [k: string]: unknown }): string | undefined {
  if (e.type === "run.record") return `run record: ${e.path as string}`;
  if (e.type === "rollback.start") return `rolling back run ${e.runId as string}: ${e.changes as number} change(s) to revert`;
  if (e.type === "rollback.done") return `rollback of run ${e.runId as string}${e.rollbackRunId ? ` (run ${e.rollbackRunId as string})` : ""}: ${e.status as string}`;
  return undefined;
}
