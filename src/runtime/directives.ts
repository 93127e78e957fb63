/**
 * @internal Typed systemd directives: camelCase option → directive name and value kind. One table
 * shared by sandbox profiles, resource limits and `isolate` overrides, so an unknown override is a
 * diagnostic rather than a silently ignored line.
 */
import * as v from "valibot";

/**
 * How a value is written: `bool` → yes/no, `string` → as is, `list` → one space-separated line,
 * `lines` → one directive line per entry (for directives such as SystemCallFilter= where an entry
 * like `~@privileged @mount` is itself a list whose leading `~` applies to that line only).
 */
export type DirectiveKind = "bool" | "string" | "list" | "lines";
export type DirectiveTable = Record<string, readonly [directive: string, kind: DirectiveKind]>;
export type DirectiveValue = boolean | string | number | string[];
/** An ordered systemd option list: `[["ProtectSystem", "strict"], …]`. */
export type SystemdOptions = [string, string][];

export function schemaFor(table: DirectiveTable) {
  const entries: Record<string, v.GenericSchema> = {};
  for (const [key, [, kind]] of Object.entries(table)) {
    const s = kind === "bool" ? v.boolean() : kind === "list" || kind === "lines" ? v.union([v.string(), v.array(v.string())]) : v.union([v.string(), v.number()]);
    entries[key] = v.optional(s);
  }
  return entries as Record<string, v.OptionalSchema<v.GenericSchema, undefined>>;
}

export function formatValue(kind: DirectiveKind, value: DirectiveValue): string {
  if (kind === "bool") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.join(" ");
  return String(value);
}

/** Render options in table order (deterministic), skipping unset ones. */
export function toOptions(table: DirectiveTable, values: Record<string, DirectiveValue | undefined>): SystemdOptions {
  const out: SystemdOptions = [];
  for (const [key, [directive, kind]] of Object.entries(table)) {
    const value = values[key];
    if (value === undefined) continue;
    // An empty list means "set to empty" (e.g. CapabilityBoundingSet= drops all capabilities).
    if (kind === "lines" && Array.isArray(value)) for (const line of value) out.push([directive, line]);
    else out.push([directive, formatValue(kind, value)]);
  }
  return out;
}
