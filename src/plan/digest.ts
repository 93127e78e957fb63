/** Stable digests of plain data (sorted keys), used for plan bases. */
import { createHash } from "node:crypto";

export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

export function digest(value: unknown): string {
  return `sha256:${createHash("sha256").update(stableStringify(value) ?? "null").digest("hex")}`;
}
