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
    this.add(value);
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
      if (value !== undefined) this.add(value);
      return;
    }
    for (const v of Array.isArray(data) ? data : Object.values(data)) this.remember(v);
  }

  /**
   * Remember a value to scrub: the value itself, and each line of a multi-line value (a program may
   * print one line of a key), with and without surrounding whitespace.
   */
  private add(value: string): void {
    for (const v of [value, value.trim(), ...value.split(/\r?\n/).map((l) => l.trim())]) if (v !== "") this.values.add(v);
  }

  /** Replace every remembered secret value in `s` (see scrubSecrets). */
  scrub(s: string): string {
    return scrubSecrets(s, this.values);
  }

  /**
   * Command output made safe to print: the whole text is scrubbed, then each line, and the lines kept
   * (the last `keep`) are joined with " | " and scrubbed once more — so a secret that spans lines, one
   * line of it, or one that only appears once lines are joined is masked.
   */
  scrubOutput(raw: string, keep = 5): string {
    const lines = this.scrub(raw).trim().split(/\r?\n/).map((l) => this.scrub(l));
    return this.scrub(lines.slice(-keep).join(" | "));
  }
}

/** Below this length a value is masked only as a whole token: a 1-character secret "x" must not mangle every x. */
const SHORT = 4;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `s` with every value replaced by "(secret)", longest first (a value holding a shorter one is masked
 * whole). Values of 4 characters or more are masked wherever they occur; shorter ones where they
 * stand as a token of their own — not next to another letter, digit or '_' (`token is x`, `KEY=ab`, a line
 * that is just the value), so "exit" keeps its x.
 */
export function scrubSecrets(s: string, values: Iterable<string>): string {
  let out = s;
  for (const v of [...values].sort((a, b) => b.length - a.length)) {
    if (v === "") continue;
    if (v.length >= SHORT) out = out.split(v).join("(secret)");
    else out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRe(v)}(?![\\p{L}\\p{N}_])`, "gu"), "(secret)");
  }
  return out;
}
