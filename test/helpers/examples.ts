/** The examples: every runnable infra file under examples/ and the flags it needs. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./cli.ts";

export interface Example {
  /** Repository-relative path, as typed on the command line. */
  file: string;
  /** `--require` files it needs (repository-relative). */
  require: string[];
}

/** Examples that are loaded with --require (the seed's project-local DSL loaded explicitly). */
const REQUIRES: Record<string, string[]> = {
  "examples/project-conventions-require.ts": ["examples/conventions/toys-infra-global.ts"],
};

/** Top-level examples/*.ts (examples/conventions/ holds modules they import, not infra files). */
export const EXAMPLES: Example[] = readdirSync(join(REPO, "examples"))
  .filter((f) => f.endsWith(".ts"))
  .sort()
  .map((f) => `examples/${f}`)
  .map((file) => ({ file, require: REQUIRES[file] ?? [] }));

/** `--require F` flags for an example. */
export function requireFlags(ex: Example): string[] {
  return ex.require.flatMap((r) => ["--require", r]);
}
