/** A saved plan as read for `apply --plan`: decoded once, with the state of its signature. */
import { readFileSync } from "node:fs";
import { HostKitError } from "../model/errors.ts";
import type { Plan } from "../model/plan.ts";
import { decodePlan } from "./plan-file.ts";
import { signatureState, type SignatureState } from "./plan-sign.ts";

export interface SavedPlan {
  plan: Plan;
  path: string;
  /** "unchecked": no key is configured here (a signature, if any, was not checked). */
  signature: SignatureState;
}

/** Read a saved plan once (the bytes checked are the bytes decoded), and check its signature. */
export function readSavedPlan(path: string): SavedPlan {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (e) {
    throw new HostKitError({ subject: `plan file ${path}`, message: `cannot be read: ${(e as Error).message}` });
  }
  const plan = decodePlan(raw, path);
  return { plan, path, signature: signatureState(JSON.parse(raw) as Record<string, unknown>) };
}
