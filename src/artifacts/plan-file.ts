/** The plan file codec: JSON with a format version, validated on read. */
import { readFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import * as v from "valibot";
import { HostKitError } from "../model/errors.ts";
import { PLAN_FORMAT_VERSION, PlanSchema, type Plan } from "../model/plan.ts";
import { issuePath } from "../dsl/validate.ts";
import { signed } from "./plan-sign.ts";
import { writePrivate } from "./private.ts";

/** With `HOSTKIT_PLAN_KEY` set, the written plan carries its HMAC signature (see plan-sign.ts). */
export function encodePlan(plan: Plan): string {
  return `${JSON.stringify(signed(plan), null, 2)}\n`;
}

export function decodePlan(textValue: string, where: string): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(textValue);
  } catch (e) {
    throw new HostKitError({ subject: `plan file ${where}`, message: `is not valid JSON (${(e as Error).message})` });
  }
  const version = (raw as { formatVersion?: unknown })?.formatVersion;
  if (version !== PLAN_FORMAT_VERSION) {
    throw new HostKitError({ subject: `plan file ${where}`, key: "formatVersion", message: `is ${JSON.stringify(version)}; this hostkit reads format ${PLAN_FORMAT_VERSION}` });
  }
  const res = v.safeParse(PlanSchema, raw);
  if (!res.success) {
    const issue = res.issues[0];
    throw new HostKitError({ subject: `plan file ${where}`, key: issuePath(issue) || undefined, message: `is malformed: ${issue.message}` });
  }
  return res.output;
}

export function readPlanFile(path: string): Plan {
  let textValue: string;
  try {
    textValue = readFileSync(path, "utf8");
  } catch (e) {
    throw new HostKitError({ subject: `plan file ${path}`, message: `cannot be read: ${(e as Error).message}` });
  }
  return decodePlan(textValue, path);
}

/**
 * Written atomically (temp file + rename): a plan file is never half-written. Mode 0600: a plan holds
 * the previous content of the files it changes (world-readable ones only, but a plan is copied and
 * kept), so only its owner reads it.
 */
export function writePlanFile(path: string, plan: Plan): void {
  mkdirSync(dirname(path), { recursive: true });
  writePrivate(path, encodePlan(plan));
}
