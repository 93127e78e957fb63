/**
 * Secret values are resolved here, at the last boundary, from the controller's environment, and
 * every resolved value is remembered so that any text HostKit prints can be scrubbed of it.
 */
import { HostKitError, type Diagnostic } from "../model/errors.ts";
import type { Change } from "../model/plan.ts";
import { isSecretRef, type SecretRef } from "../model/secret.ts";
import { kindOf } from "../kinds/registry.ts";

export class SecretResolver {
  private readonly values = new Set<string>();
  constructor(private readonly env: Record<string, string | undefined> = process.env) {}

  resolve(ref: SecretRef): string {
    const value = this.env[ref.$secret.env];
    if (value === undefined) throw new HostKitError({ message: `environment variable ${ref.$secret.env} is not set` });
    if (value.length >= 4) this.values.add(value);
    return value;
  }

  /** Check every secret a plan needs is set, before anything is applied. */
  check(changes: readonly Change[]): void {
    const problems: Diagnostic[] = [];
    for (const c of changes) {
      const secret = kindOf(c.type)?.secretRefs?.(c) ?? {};
      for (const [k, ref] of Object.entries(secret)) {
        if (this.env[ref.$secret.env] === undefined) problems.push({ subject: c.key, key: `secret.${k}`, ...(c.source ? { source: { file: c.source.replace(/:\d+$/, ""), line: Number(c.source.split(":").pop()) } } : {}), message: `environment variable ${ref.$secret.env} is not set on this controller` });
      }
    }
    if (problems.length) throw new HostKitError(problems);
    for (const c of changes) this.remember(c);
  }

  /**
   * Remember the value of every secret reference found anywhere in `data` (an env file's secrets, the
   * secrets of the env files a command loads), so that output is scrubbed of it even when nothing
   * resolves it during this apply (e.g. an unchanged env file whose command prints a value).
   */
  remember(data: unknown): void {
    if (!data || typeof data !== "object") return;
    if (isSecretRef(data)) {
      const value = this.env[data.$secret.env];
      if (value !== undefined && value.length >= 4) this.values.add(value);
      return;
    }
    for (const v of Array.isArray(data) ? data : Object.values(data)) this.remember(v);
  }

  /** Replace every resolved secret value in `s`. */
  scrub(s: string): string {
    let out = s;
    for (const v of this.values) out = out.split(v).join("(secret)");
    return out;
  }
}
