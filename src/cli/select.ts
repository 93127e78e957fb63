/**
 * @internal `--only KEY|GLOB` and `--ignore KEY|GLOB`, with one meaning on plan, apply and down:
 * keys are `type:id` (as `hostkit dump` lists them); a pattern with `*` or `?` is a glob over the
 * whole key (`*` matches any characters, `/` included). Both are repeatable; --ignore wins over
 * --only. A pattern that matches nothing is an error: a typo must not silently select everything.
 */
import { HostKitError } from "../model/errors.ts";
import { repeated } from "./common.ts";

export const selectArgs = {
  only: { type: "string", description: "Only resources whose key matches (type:id or a glob such as 'file:/etc/toys/*'; repeatable)", valueHint: "KEY|GLOB" },
  ignore: { type: "string", description: "Leave out resources whose key matches (type:id or a glob; repeatable)", valueHint: "KEY|GLOB" },
} as const;

export interface Selection {
  only: string[];
  ignore: string[];
}

export function selection(rawArgs: string[]): Selection {
  return { only: repeated(rawArgs, "only"), ignore: repeated(rawArgs, "ignore") };
}

export const isGlob = (p: string) => /[*?]/.test(p);

export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${body}$`);
}

function matching(pattern: string, keys: readonly string[]): string[] {
  if (!isGlob(pattern)) return keys.includes(pattern) ? [pattern] : [];
  const re = globToRegExp(pattern);
  return keys.filter((k) => re.test(k));
}

/**
 * The keys selected from `keys` (in their order). `what` names them in errors ("resource",
 * "change in the plan").
 */
export function selectKeys(keys: readonly string[], sel: Selection, what: string): string[] {
  const check = (flag: string, patterns: string[]) => {
    for (const p of patterns) {
      if (matching(p, keys).length) continue;
      const sample = keys.slice(0, 6).join(", ");
      throw new HostKitError({
        key: `--${flag} ${p}`,
        message: `no ${what} matches`,
        hint: keys.length ? `keys look like ${sample}${keys.length > 6 ? ", …" : ""} (hostkit dump lists them)` : "there is nothing to select",
      });
    }
  };
  check("only", sel.only);
  check("ignore", sel.ignore);
  const only = new Set(sel.only.flatMap((p) => matching(p, keys)));
  const drop = new Set(sel.ignore.flatMap((p) => matching(p, keys)));
  return keys.filter((k) => (!sel.only.length || only.has(k)) && !drop.has(k));
}

/** For planHost, which takes the keys to leave out. */
export function ignoredKeys(keys: readonly string[], sel: Selection): string[] {
  const keep = new Set(selectKeys(keys, sel, "resource"));
  return keys.filter((k) => !keep.has(k));
}
