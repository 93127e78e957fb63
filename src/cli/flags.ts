/**
 * @internal Strict command lines. citty silently ignores flags it does not know and accepts any
 * value; a typo such as `--dryrun` must never turn a dry run into an apply. Every verb's raw
 * arguments are checked here against its flag definitions before the verb runs: unknown flags,
 * missing or malformed values and extra positionals are usage errors (exit 2) with a "did you mean".
 */
import type { ArgsDef } from "citty";
import { HostKitError } from "../model/errors.ts";
import { closest } from "../model/nearest.ts";

export { closest };

/** Exit codes, documented in `hostkit --help` and README.md. */
export const EXIT = {
  ok: 0,
  error: 1,
  /** A usage error (unknown flag, bad value); with --detailed-exitcode, "changes present" instead. */
  usage: 2,
  changes: 2,
  interrupted: 130,
} as const;

/** Flags every verb takes. */
export const commonArgs = {
  verbose: { type: "boolean", description: "More detail: debug lines, and a stack trace with an internal error" },
  quiet: { type: "boolean", alias: "q", description: "Only results, warnings and errors (no progress lines)" },
  help: { type: "boolean", alias: "h", description: "Show this help" },
} as const;

/** Flags whose value must be an integer in a range (checked before the verb runs). */
const INTEGER_FLAGS: Record<string, { min: number; max?: number }> = {
  concurrency: { min: 1, max: 256 },
  port: { min: 1, max: 65535 },
  keep: { min: 0 },
};

/** A usage error: the command line itself is wrong. Exit 2 (see EXIT). */
export function usageError(message: string, hint?: string): HostKitError {
  return new HostKitError({ message, ...(hint ? { hint } : {}) }, EXIT.usage);
}

interface FlagInfo {
  name: string;
  type: "boolean" | "string" | "enum";
  options?: string[];
}

function flagTable(args: ArgsDef): { long: Map<string, FlagInfo>; short: Map<string, FlagInfo>; positionals: string[] } {
  const long = new Map<string, FlagInfo>();
  const short = new Map<string, FlagInfo>();
  const positionals: string[] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") {
      positionals.push(name);
      continue;
    }
    const info: FlagInfo = { name, type: (def.type ?? "string") as FlagInfo["type"], ...("options" in def && def.options ? { options: def.options } : {}) };
    long.set(name, info);
    const aliases = "alias" in def && def.alias ? (Array.isArray(def.alias) ? def.alias : [def.alias]) : [];
    for (const a of aliases) (a.length === 1 ? short : long).set(a, info);
  }
  return { long, short, positionals };
}

function checkValue(flag: FlagInfo, value: string, verb: string, short: ReadonlyMap<string, FlagInfo>): void {
  const spelled = `--${flag.name}`;
  // The next word is another flag, not this one's value (a value may start with "-", e.g. a password).
  if (value === "" || value.startsWith("--") || (value.length === 2 && value[0] === "-" && short.has(value[1]!))) {
    throw usageError(`${spelled} needs a value`, `hostkit ${verb} --help`);
  }
  const range = INTEGER_FLAGS[flag.name];
  if (range) {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < range.min || (range.max !== undefined && n > range.max)) {
      throw usageError(`${spelled} ${JSON.stringify(value)}: expected a whole number ${range.max !== undefined ? `from ${range.min} to ${range.max}` : `of at least ${range.min}`}`);
    }
  }
  if (flag.options && !flag.options.includes(value)) {
    const near = closest(value, flag.options);
    throw usageError(`${spelled} ${JSON.stringify(value)}: expected one of ${flag.options.join(", ")}`, near ? `did you mean ${spelled} ${near}?` : undefined);
  }
}

/**
 * Check a verb's raw arguments against its flag definitions. Throws a usage error (exit 2) for an
 * unknown flag (with the nearest real one), a flag without its value, a value given to a boolean,
 * a malformed number, or more positionals than the verb takes.
 */
export function checkArgs(verb: string, args: ArgsDef, rawArgs: readonly string[]): void {
  const { long, short, positionals } = flagTable(args);
  const names = [...long.keys()];
  const seen: string[] = [];
  const unknown = (spelled: string) => {
    const bare = spelled.replace(/^-+/, "");
    const near = closest(bare, names);
    return usageError(`unknown flag ${spelled} for hostkit ${verb}`, near ? `did you mean --${near}? (hostkit ${verb} --help lists the flags)` : `hostkit ${verb} --help lists the flags`);
  };
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === "--") {
      // A verb whose last positional is `argv` passes everything after `--` on (hostkit ssh … -- CMD…).
      if (positionals.at(-1) === "argv") {
        if (i + 1 < rawArgs.length) seen.push(...Array(Math.max(0, positionals.length - 1 - seen.length)).fill("?"), "argv");
        break;
      }
      seen.push(...rawArgs.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = a.slice(2, eq === -1 ? undefined : eq);
      const flag = long.get(name);
      if (!flag) throw unknown(eq === -1 ? a : a.slice(0, eq));
      if (flag.type === "boolean") {
        if (eq !== -1) throw usageError(`--${flag.name} is a switch and takes no value (got ${JSON.stringify(a.slice(eq + 1))})`);
        continue;
      }
      const value = eq === -1 ? rawArgs[++i] : a.slice(eq + 1);
      if (value === undefined) throw usageError(`--${flag.name} needs a value`, `hostkit ${verb} --help`);
      checkValue(flag, value, verb, short);
      continue;
    }
    if (a.startsWith("-") && a.length > 1 && !/^-\d/.test(a)) {
      // Short switches, possibly bundled (-qh); a short string flag takes the next argument.
      for (const [j, ch] of [...a.slice(1)].entries()) {
        const flag = short.get(ch);
        if (!flag) throw unknown(`-${ch}`);
        if (flag.type !== "boolean") {
          const value = j === a.length - 2 ? rawArgs[++i] : a.slice(j + 2);
          if (value === undefined) throw usageError(`-${ch} needs a value`);
          checkValue(flag, value, verb, short);
          break;
        }
      }
      continue;
    }
    seen.push(a);
  }
  if (seen.length > positionals.length) {
    const extra = JSON.stringify(seen[positionals.length]);
    throw usageError(
      positionals.length ? `hostkit ${verb} takes ${positionals.map((p) => p.toUpperCase()).join(" ")}; unexpected argument ${extra}` : `hostkit ${verb} takes no arguments; unexpected ${extra}`,
      `hostkit ${verb} --help`,
    );
  }
}
