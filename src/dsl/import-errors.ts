/** @internal Helpers to place import problems in an infra file (Bun reports them without a line). */
import { closest } from "../model/nearest.ts";

/** The 1-based line of the first match in `text`, or 1 when there is none. */
export function lineOf(text: string, re: RegExp): number {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => re.test(l));
  return i === -1 ? 1 : i + 1;
}

/** The closest name, when near enough to be a typo. */
export function closestName(word: string, names: readonly string[]): string | undefined {
  return closest(word, names);
}
