/**
 * Optional plan signing, for plans that travel (CI job → CI job): with `HOSTKIT_PLAN_KEY` set, every
 * plan file hostkit writes carries an HMAC-SHA256 over its canonical JSON (sorted keys, without the
 * signature itself), and `apply --plan` refuses a plan that is unsigned or whose signature does not
 * verify. The key is never printed or stored.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { HostKitError } from "../model/errors.ts";
import type { Plan } from "../model/plan.ts";
import { stableStringify } from "../plan/digest.ts";

export const PLAN_KEY_ENV = "HOSTKIT_PLAN_KEY";
const ALG = "hmac-sha256";

export interface PlanSignature {
  alg: typeof ALG;
  value: string;
}

/** The configured key, or undefined (unset or empty). A short key is refused: it would sign with almost nothing. */
export function planKey(env: Record<string, string | undefined> = process.env): string | undefined {
  const key = env[PLAN_KEY_ENV];
  if (!key) return undefined;
  if (key.length < 16) throw new HostKitError({ key: PLAN_KEY_ENV, message: "is set but shorter than 16 characters; a plan signing key must be a real secret" });
  return key;
}

function mac(body: Record<string, unknown>, key: string): string {
  const { signature: _s, ...rest } = body;
  return createHmac("sha256", key).update(stableStringify(rest)).digest("hex");
}

/** The plan as written: with a signature when a key is configured. */
export function signed(plan: Plan, key = planKey()): Record<string, unknown> {
  const body = { ...plan } as Record<string, unknown>;
  delete body.signature;
  if (!key) return body;
  return { ...body, signature: { alg: ALG, value: mac(body, key) } satisfies PlanSignature };
}

export type SignatureState = "valid" | "invalid" | "missing" | "unchecked";

/** Check the signature of a plan file's parsed JSON body ("unchecked" when no key is configured). */
export function signatureState(body: Record<string, unknown>, key = planKey()): SignatureState {
  if (!key) return "unchecked";
  const sig = body.signature as Partial<PlanSignature> | undefined;
  if (!sig || typeof sig !== "object") return "missing";
  if (sig.alg !== ALG || typeof sig.value !== "string" || !/^[0-9a-f]{64}$/.test(sig.value)) return "invalid";
  return timingSafeEqual(Buffer.from(mac(body, key), "hex"), Buffer.from(sig.value, "hex")) ? "valid" : "invalid";
}

/** Refuse an unsigned or badly signed plan when a key is configured. */
export function requireSignature(saved: { path: string; signature: SignatureState }): void {
  if (saved.signature === "missing") {
    throw new HostKitError({ subject: `plan ${saved.path}`, message: `is not signed, and ${PLAN_KEY_ENV} is set: refusing to apply an unsigned plan`, hint: `make the plan with ${PLAN_KEY_ENV} set (hostkit plan --out signs it), or unset ${PLAN_KEY_ENV} on this controller` });
  }
  if (saved.signature === "invalid") {
    throw new HostKitError({ subject: `plan ${saved.path}`, message: `has a signature that does not verify with ${PLAN_KEY_ENV}: it was changed after it was signed, or signed with another key; refusing to apply it`, hint: "make a new plan" });
  }
}
