/** @internal Turns valibot issues on DSL options into one diagnostic that names the key. */
import * as v from "valibot";
import { HostKitError } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";

export function issuePath(issue: v.BaseIssue<unknown>): string {
  const parts: string[] = [];
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    if (typeof key === "number") parts.push(`[${key}]`);
    else parts.push(parts.length ? `.${String(key)}` : String(key));
  }
  return parts.join("");
}

function describe(issue: v.BaseIssue<unknown>): string {
  if (issue.kind === "schema" && issue.type === "strict_object" && issue.input !== undefined && issue.expected === "never") {
    return "unknown option";
  }
  if (issue.expected === "never") return "unknown option";
  const got = issue.received;
  if (issue.kind === "schema") return `expected ${issue.expected}, got ${got}`;
  return issue.message;
}

/** Parse DSL options or throw one diagnostic naming the declaration, the key and the location. */
export function parseOptions<S extends v.GenericSchema>(schema: S, input: unknown, subject: string, source: SourceLoc): v.InferOutput<S> {
  const result = v.safeParse(schema, input ?? {});
  if (result.success) return result.output;
  const issue = result.issues[0];
  const key = issuePath(issue);
  throw new HostKitError({ subject, key: key || undefined, source, message: describe(issue) });
}
