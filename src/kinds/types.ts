/**
 * The contract every resource kind implements (one file per kind, registered in ./index.ts):
 * probe (what to read) → parse (raw output → fact) → diff (pure: fact + spec → change) →
 * ops (argv data the applier runs) → down (the inverse change, from before/after alone).
 */
import type { Resource } from "../model/resource.ts";
import type { Change, ChangeAction } from "../model/plan.ts";
import type { ExecResult } from "../targets/runner.ts";
import { HostKitError } from "../model/errors.ts";

/** Where the plan applies: a live host, or an offline filesystem tree (`--root DIR`). */
export interface TargetCtx {
  /** Offline tree: every path is under it, nothing is started. */
  root?: string;
}

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** Facts read once per host by the planner, shared by kinds. */
export interface HostFacts {
  users: Map<string, Account>;
  groups: Map<string, { gid: number; members: string[] }>;
  userById: Map<number, string>;
  groupById: Map<number, string>;
}

export type ProbeOutput = ExecResult;

/** What a kind's diff decides; the planner adds key, source, resource and basis. */
export interface Decision {
  action: ChangeAction;
  reason: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/** Payload for an op's stdin: literal bytes, or an env file whose secrets are resolved at apply time only. */
export type Payload =
  | { text: string }
  | { base64: string }
  | { envFile: { set: Record<string, string>; secret: Record<string, { $secret: { env: string } }> } }
  | { backup: BackupId };

export interface Op {
  /** What the op does, for progress lines. */
  label: string;
  argv: string[];
  stdin?: Payload;
  /**
   * Stdin is preceded by its length in bytes on one line (`N\n`), so the fixed script can refuse a
   * payload cut short (the applier died mid-write) instead of installing a truncated file.
   */
  sizedStdin?: boolean;
  /** Not run on this target, with the reason (e.g. starting units on an offline root). */
  skip?: string;
}

export interface ProbeBatch {
  cmds: string[][];
  /** Outputs of `cmds` → per resource (in the order given), what its own `probe` commands would have returned. */
  split(out: ProbeOutput[]): ProbeOutput[][];
}

export interface Kind<R extends Resource = Resource, F = unknown> {
  type: R["type"];
  /** Commands whose output `parse` reads. All probes of a host run in ONE batched script. */
  probe(r: R, ctx: TargetCtx): string[][];
  /**
   * Optional: the probes of MANY resources of this kind as a few commands (a constant number per chunk,
   * not per resource), and how their outputs split back into exactly what each resource's `probe`
   * commands would have printed, so `parse` (and its recorded fixtures) stay the single contract.
   */
  probeBatch?(rs: R[], ctx: TargetCtx): ProbeBatch;
  parse(r: R, out: ProbeOutput[], facts: HostFacts, ctx: TargetCtx): F;
  /** Pure. */
  diff(r: R, fact: F): Decision;
  /** The data a saved plan's staleness is judged on (default: the fact). Must hold no secret values. */
  basis?(fact: F): unknown;
  /** Argv ops that make `change` true on the target. */
  ops(change: Change, ctx: TargetCtx): Op[];
}

/**
 * A backup payload of a tracked run, named by the run and the payload's file name inside that run's
 * own backup directory (never by a path: the applier joins `id` to the run's directory itself).
 */
export interface BackupId {
  run: string;
  id: string;
  sha256: string;
}

/** A backup id is one plain file name: no separators, no `.`/`..`, nothing a path could hide in. */
export const BACKUP_ID = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,200}$/;

/**
 * A down plan's previous file-like content kept by a tracked run: `{"$backup": {run, id, sha256}}`
 * in place of `content`. Returns the payload that restores it (read and verified by the applier).
 * A `$backup` that is not exactly that (an old `path` reference, a path in `id`) is refused, never
 * read past into other content.
 */
export function backupPayload(content: unknown): Payload | undefined {
  if (!content || typeof content !== "object" || !("$backup" in content)) return undefined;
  const b = (content as { $backup?: Record<string, unknown> }).$backup;
  const keys = b && typeof b === "object" ? Object.keys(b).sort().join(",") : "";
  if (!b || keys !== "id,run,sha256" || typeof b.run !== "string" || typeof b.id !== "string" || typeof b.sha256 !== "string" || !BACKUP_ID.test(b.id)) {
    throw new HostKitError({ key: "$backup", message: "must be {run, id, sha256} naming a payload of the run's own backup directory" });
  }
  return { backup: { run: b.run, id: b.id, sha256: b.sha256 } };
}

/** A path as seen from the controller's runner: under the offline root when there is one. */
export function onTarget(ctx: TargetCtx, path: string): string {
  return ctx.root ? `${ctx.root.replace(/\/+$/, "")}${path}` : path;
}
