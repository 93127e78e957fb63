/** @internal Writing a plan the user asked for (`--out FILE`): a path that cannot be written is one clear error. */
import { HostKitError } from "../model/errors.ts";
import type { Plan } from "../model/plan.ts";
import { writePlanFile } from "../artifacts/plan-file.ts";

const WHY: Record<string, string> = {
  ENOENT: "its folder does not exist or cannot hold files",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EISDIR: "it is a directory",
  ENOTDIR: "a parent is not a directory",
  ENOSPC: "no space left on device",
};

export function savePlan(path: string, plan: Plan, flag = "--out"): void {
  try {
    writePlanFile(path, plan);
  } catch (e) {
    if (e instanceof HostKitError) throw e;
    const err = e as Error & { code?: string };
    throw new HostKitError({ key: flag, message: `cannot write the plan to ${path}: ${(err.code && WHY[err.code]) ?? err.message.split("\n")[0]}`, hint: "choose a writable path, e.g. --out up.plan.json" });
  }
}
