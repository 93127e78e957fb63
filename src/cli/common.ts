/** @internal Flag definitions and helpers shared by verbs. */
import { HostKitError } from "../model/errors.ts";

export const requireArg = {
  require: { type: "string", description: "Import a file of project-local conventions first (repeatable)", valueHint: "FILE" },
} as const;

/** All values of a repeatable flag (`--flag V` and `--flag=V`), in order. citty keeps only the last. */
export function repeated(rawArgs: string[], flag: string): string[] {
  const out: string[] = [];
  const long = `--${flag}`;
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === long) {
      const v = rawArgs[i + 1];
      if (v === undefined || v.startsWith("--")) throw new HostKitError({ key: long, message: "needs a value" });
      out.push(v);
      i++;
    } else if (a.startsWith(`${long}=`)) out.push(a.slice(long.length + 1));
  }
  return out;
}

export function needFile(file: string | undefined, verb: string): string {
  // A missing argument is a usage error (exit 2).
  if (!file) throw new HostKitError({ message: `hostkit ${verb} needs an infra FILE`, hint: `hostkit ${verb} --help` }, 2);
  return file;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
