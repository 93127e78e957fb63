import * as v from "valibot";

/**
 * A reference to a secret held in the controller's environment. Artifacts, plans, run records and
 * logs only ever carry this reference; the value is read at the last boundary that needs it.
 */
export interface SecretRef {
  /** Where the value comes from: an environment variable of the controller. @example $secret: { env: "DATABASE_URL" } */
  $secret: { env: string };
}

export const SecretRefSchema = v.strictObject({
  $secret: v.strictObject({ env: v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")) }),
});

export function isSecretRef(value: unknown): value is SecretRef {
  return typeof value === "object" && value !== null && "$secret" in value;
}

/**
 * Declare a secret that is read from the controller's environment variable `name` only when needed.
 * @example
 * ssh: { password: secretEnv("HOSTKIT_SSH_PASSWORD") }
 */
export function secretEnv(name: string): SecretRef {
  return { $secret: { env: name } };
}
