/**
 * @internal Flags for how package names are looked up (plan and apply): `--package-lock FILE` (the
 * lock only: zero HTTP requests), `--write-package-lock FILE` (plan: record every lookup), and
 * `--refresh` (ignore the Repology response cache). Builds the `ctx.lookups` kinds use.
 */
import { dirname, join, resolve } from "node:path";
import type { Lookups, TargetCtx } from "../model/kind.ts";
import { CACHE_SUBDIR, RepologyClient } from "../packages/repology.ts";
import { PackageLock, recordingResolver } from "../packages/package-lock.ts";

export const packageLockArgs = {
  "package-lock": { type: "string", description: "Resolve package names from this lock only (no Repology requests)", valueHint: "FILE" },
  refresh: { type: "boolean", description: "Ask Repology again instead of using cached answers (.hostkit/cache/repology, 24 h)" },
} as const;

export const writePackageLockArgs = {
  "write-package-lock": { type: "string", description: "Record every package-name resolution of this plan in FILE (deterministic, for git)", valueHint: "FILE" },
} as const;

export interface PackageLookups {
  lookups: Lookups;
  /** Write the lock (--write-package-lock) once every host was planned. */
  finish(): void;
}

/**
 * The lookups for this command. The Repology client is made only when a lookup needs it (a project
 * without semantic package names never touches the cache or the network).
 */
export function packageLookups(args: { "package-lock"?: string; "write-package-lock"?: string; refresh?: boolean }, infraFile: string | undefined): PackageLookups {
  const lock = args["package-lock"] ? PackageLock.read(args["package-lock"]) : undefined;
  let client: RepologyClient | undefined;
  const repology = {
    resolve: (name: string, repository: string) => {
      client ??= new RepologyClient({ cacheDir: join(infraFile ? dirname(resolve(infraFile)) : process.cwd(), CACHE_SUBDIR), ...(args.refresh ? { refresh: true } : {}) });
      return client.resolve(name, repository);
    },
  };
  const base = lock ?? repology;
  const out = args["write-package-lock"] ? new PackageLock([], args["write-package-lock"]) : undefined;
  return {
    lookups: { names: out ? recordingResolver(base, out) : base },
    finish: () => out?.write(args["write-package-lock"]!),
  };
}

/** A target's context with the lookups. */
export function withLookups<T extends { ctx: TargetCtx }>(t: T, lookups: Lookups): T {
  return { ...t, ctx: { ...t.ctx, lookups } };
}
