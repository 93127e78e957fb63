/** @internal Recognising a saved plan where an infra file was expected (`hostkit apply up.plan.json`). */
import { closeSync, openSync, readSync } from "node:fs";
import { HostKitError } from "../model/errors.ts";

/** True when the file starts like a plan artifact (JSON with kind "hostkit.plan"). */
export function looksLikePlan(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n).toString("utf8");
    return /^\s*\{/.test(head) && /"kind"\s*:\s*"hostkit\.plan"/.test(head);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function refusePlanAsInfraFile(file: string): void {
  if (looksLikePlan(file)) {
    throw new HostKitError({ subject: file, message: "is a saved plan, not an infra file", hint: `apply it with: hostkit apply --plan ${file}` }, 2);
  }
}

/** `--no-prune` (plan and apply): resources HostKit managed that are no longer declared are not deleted this run. */
export const pruneArgs = {
  "no-prune": { type: "boolean", description: "Do not delete managed resources that are no longer declared (they are listed in a warning and deleted by a later plan)" },
} as const;
