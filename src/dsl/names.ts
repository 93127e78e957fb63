/**
 * @internal The rules for names and values that end up in a host's account database or a systemd
 * unit, checked at load time. Each returns why a value is refused, or undefined when it is fine.
 * They exist because these values are written into line-based formats (passwd, group, unit files)
 * where a `:`, a newline or a `%` changes the meaning of what follows: `p.account("x", { shell:
 * "/bin/sh\nroot2:x:0:0::/root:/bin/bash" })` would otherwise add a second uid-0 account.
 */
import { HostKitError } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";

/** useradd's NAME_REGEX (Debian's default): lowercase, no leading digit or '-', an optional final '$'. */
const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]*[$]?$/;
const ACCOUNT_MAX = 32;

/** Why `name` cannot be an account or group name in passwd/group (a phrase: "must start with…"), or undefined. */
export function accountNameProblem(name: unknown): string | undefined {
  if (typeof name === "string" && name.length > ACCOUNT_MAX) return `is longer than ${ACCOUNT_MAX} characters`;
  if (typeof name !== "string" || !ACCOUNT_NAME.test(name)) return "must start with a-z or '_' and contain only a-z, 0-9, '_' and '-' (with an optional final '$')";
  return undefined;
}

/**
 * A name prefix (`p.prefixes`): prefix + a service name must still be a valid name, so the prefix may
 * not start with '-' (it would read as an option to useradd or systemctl) or hold anything a name
 * may not. The empty prefix is fine.
 */
export function prefixProblem(prefix: string, kind: "user" | "unit"): string | undefined {
  if (prefix === "") return undefined;
  if (!/^[a-z0-9_-]*$/.test(prefix)) return "may contain only a-z, 0-9, '_' and '-'";
  if (kind === "user" && !/^[a-z_]/.test(prefix)) return "must start with a-z or '_' (account names cannot start with a digit or '-')";
  if (kind === "unit" && prefix.startsWith("-")) return "must not start with '-' (unit names starting with '-' read as options)";
  if (kind === "user" && prefix.length >= ACCOUNT_MAX) return `is ${prefix.length} characters long; prefix + service name must fit in ${ACCOUNT_MAX}`;
  return undefined;
}

/**
 * Why `path` cannot be an account's home or shell in passwd: it must be absolute and normalised (no
 * `//`, `/./`, `/../`, trailing `/`), and hold no `:` (the field separator), no line break and no
 * other control character.
 */
export function passwdPathProblem(path: unknown): string | undefined {
  if (typeof path !== "string" || !path.startsWith("/")) return "must be an absolute path";
  if (/[\x00-\x1f\x7f]/.test(path)) return "must not contain a line break or other control character";
  if (path.includes(":")) return "must not contain ':' (the passwd field separator)";
  if (path !== "/" && (path.endsWith("/") || path.split("/").slice(1).some((c) => c === "" || c === "." || c === ".."))) {
    return "must be a normalised path (no '//', '/./', '/../' or trailing '/')";
  }
  return undefined;
}

const UNIT_CHARS = /^[A-Za-z0-9:_.\\@-]+$/;
export const UNIT_SUFFIXES = ["service", "socket", "device", "mount", "automount", "swap", "target", "path", "timer", "slice", "scope"];

/**
 * Why `unit` is not a unit name HostKit can write and run (systemd.unit(5)): only `[A-Za-z0-9:_.\@-]`,
 * at most 255 characters, a known suffix (`suffix` when given), and a name before the suffix that is
 * not empty, does not start with '.' (systemd ignores hidden files: `..service` is never loaded) or
 * '-' (read as an option), and is not a bare template (`foo@.service` cannot run by itself).
 */
export function unitNameProblem(unit: unknown, suffix?: string): string | undefined {
  if (typeof unit !== "string" || unit === "") return "a unit name is needed";
  if (unit.length > 255) return "is longer than 255 characters";
  if (!UNIT_CHARS.test(unit)) return "contains characters other than letters, digits and ':-_.\\@'";
  const dot = unit.lastIndexOf(".");
  const type = dot < 0 ? "" : unit.slice(dot + 1);
  if (suffix ? `.${type}` !== suffix : !UNIT_SUFFIXES.includes(type)) return suffix ? `does not end in ${suffix}` : "does not end in a unit type (.service, .target, …)";
  const stem = unit.slice(0, dot);
  if (stem === "") return "has no name before the suffix";
  if (stem.startsWith(".")) return "starts with '.' (systemd ignores hidden unit files)";
  if (stem.startsWith("-")) return "starts with '-'";
  const at = stem.indexOf("@");
  if (at === 0) return "starts with '@'";
  if (at >= 0 && stem.indexOf("@", at + 1) >= 0) return "contains more than one '@'";
  if (at >= 0 && at === stem.length - 1) return "is a template (nothing after '@'); name an instance";
  return undefined;
}

/**
 * A calendar spec (systemd.time(7) "Calendar Events"): weekdays, dates, times, `~`, `*`, `/`, `,`,
 * `..`, `+`/`-` offsets, shorthands like `daily`, and a time zone name. Anything else — `%` (a
 * specifier), `;`, quotes, `$`, `\`, line breaks — is refused here; systemd judges the rest.
 */
export function calendarProblem(spec: unknown): string | undefined {
  if (typeof spec !== "string" || spec.trim() === "") return "must be a calendar spec such as \"daily\" or \"Mon *-*-* 03:00\"";
  if (spec.length > 256) return "is longer than 256 characters";
  const bad = spec.match(/[^A-Za-z0-9 *,./:~+_-]/);
  if (bad) return `contains ${JSON.stringify(bad[0])}, which is not part of a calendar spec${bad[0] === "%" ? " (systemd would expand it as a specifier)" : ""}`;
  return undefined;
}

/** A time span (systemd.time(7)): numbers with units, e.g. "5min", "1h 30m", "2.5s". */
export function timeSpanProblem(span: unknown): string | undefined {
  if (span === "infinity") return undefined;
  if (typeof span !== "string" || !/^[0-9A-Za-z .]+$/.test(span) || !/[0-9]/.test(span) || span.length > 64) {
    return "must be a time span such as \"5min\" or \"1h 30m\"";
  }
  return undefined;
}

/** A unit name as one diagnostic naming the declaration (see unitNameProblem). */
export function checkUnitName(unit: string, suffix: string, subject: string, source: SourceLoc) {
  const problem = unitNameProblem(unit, suffix);
  if (problem) {
    throw new HostKitError({
      subject,
      key: "name",
      source,
      message: `${JSON.stringify(unit)} is not a valid unit name: it ${problem}`,
      hint: `unit names end in ${suffix}, contain only letters, digits and ":-_.\\@", and do not start with '.' or '-'`,
    });
  }
}
