/**
 * The kind contract, and the core types every layer shares (targets, facts, ops, payloads).
 *
 * A kind (one file in src/kinds/, one line in src/kinds/registry.ts) owns everything about its type:
 * schema → probe (what to read) → parse (raw output → fact) → diff (pure: fact + spec → change) →
 * ops (argv data the applier runs) → down (the inverse change, from before/after alone, and the
 * state it leaves for staleness checks) → formatting, rendering, backups, secrets. The planner, down
 * plans, formatting, rendering, backups and dump loop over the registry; nothing switches on a type.
 */
import type { Change, ChangeAction } from "./plan.ts";
import type { ResourceBase } from "./resource.ts";
import type { SecretRef } from "./secret.ts";
import { HostKitError } from "./errors.ts";

/** What a command printed: the shape every Runner returns (targets/runner.ts). */
export interface ProbeOutput {
  /** Exit status; 128+N when killed by signal N. */
  code: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** Where the plan applies: a live host, or an offline filesystem tree (`--root DIR`). */
export interface TargetCtx {
  /** Offline tree: every path is under it, nothing is started. */
  root?: string;
  /**
   * false: do not compare secret values with the controller's (a saved plan's rebuild at apply time:
   * the values given to apply are written, whatever the plan-time comparison found).
   */
  compareSecrets?: boolean;
  /**
   * Outside lookups for kinds with `resolve` (set by the CLI from --refresh, --package-lock,
   * --write-package-lock; absent: the kind's default). Never serialized into a plan.
   */
  lookups?: Lookups;
  /** The target is reached over SSH on this port (a kind that may close ports checks it; see firewall). */
  ssh?: { port: number };
  /**
   * Opt-ins chosen on the command line or in the API call that change what a kind plans:
   * `nftReload` (`--nft-reload`: load the firewall ruleset, not only write it), `allowLockout`
   * (`--allow-lockout`: plan a ruleset that drops the current SSH port). Planning and applying a
   * saved plan must be given the same ones (the plan is rebuilt with them).
   */
  flags?: { nftReload?: boolean; allowLockout?: boolean };
}

/**
 * A lookup that turns a declared, distribution-neutral name into the name a host's repository uses
 * (package names through Repology, or a lock). `repository` is a fact of the host (from its probe).
 */
export interface NameLookup {
  resolve(name: string, repository: string): Promise<{ name: string; version: string }>;
}

export interface Lookups {
  names?: NameLookup;
}

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** Facts read once per host by the planner, shared by kinds: accounts always, contributions on demand. */
export interface HostFacts {
  users: Map<string, Account>;
  groups: Map<string, { gid: number; members: string[] }>;
  userById: Map<number, string>;
  groupById: Map<number, string>;
  /** Contributed facts (os-release, dpkg status, nft ruleset…) by name, read only when a kind asks. */
  extra: Map<string, unknown>;
}

/**
 * A host fact a kind needs (beyond accounts): its commands run in the same single probe round trip
 * as every resource probe, once per host, whatever the number of resources that need it.
 */
export interface FactDef<T = unknown> {
  name: string;
  probe(ctx: TargetCtx): string[][];
  parse(out: ProbeOutput[], ctx: TargetCtx): T;
}

export function defineFact<T>(f: FactDef<T>): FactDef<T> {
  return f;
}

/** A contributed fact as its kind reads it (undefined when it was not probed). */
export function factOf<T>(facts: HostFacts, def: FactDef<T>): T | undefined {
  return facts.extra.get(def.name) as T | undefined;
}

/** What a kind's `resolve` step gave for this host (undefined when it has none). */
export function resolvedOf<T>(facts: HostFacts, type: string): T | undefined {
  return facts.extra.get(`resolved:${type}`) as T | undefined;
}

/** What a kind's diff decides; the planner adds key, source, resource and basis. */
export interface Decision {
  action: ChangeAction;
  reason: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  /** Said in the plan even when nothing changes (under the change, or among the plan's warnings for a noop). */
  warning?: string;
}

/** Payload for an op's stdin: literal bytes, or an env file whose secrets are resolved at apply time only. */
export type Payload =
  | { text: string }
  | { base64: string }
  | { envFile: { set: Record<string, string>; secret: Record<string, { $secret: { env: string } }> } }
  /** One line `prefix + value + "\n"`, the value a secret resolved at apply time (e.g. chpasswd's `user:password`); a value with a line break is refused. */
  | { secretLine: { prefix: string; secret: { $secret: { env: string } } } }
  | { backup: BackupId }
  /** A file on the controller (a large `source:`), read and sha256-verified while it is streamed at apply time. */
  | { source: ContentSource }
  /**
   * The batched file writer's stdin (scripts.ts WRITE_FILES): per group, the length of a tar archive on
   * one line, then the archive holding the group's files in order. Built and streamed by the applier.
   */
  | { archives: { name: string; mode: number; payload: Payload }[][] };

/**
 * File content too large to carry in a resource or a plan: where it is on the controller, its sha256
 * and size. The bytes are streamed from there at apply time and refused unless they hash to `sha256`.
 */
export interface ContentSource {
  path: string;
  sha256: string;
  size: number;
}

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
  /**
   * Instead of running `argv` on the current connection, the applier opens a NEW connection to the
   * target (ApplyOptions.reconnect), runs `true` there and closes it; the op fails with `failure`
   * when that does not work within `timeoutMs`. The current connection proves nothing after a
   * firewall reload (established traffic is always accepted): only a new one shows the next login
   * still works. Targets that cannot reconnect fail the op.
   */
  reconnect?: { timeoutMs: number; failure: string };
}

/**
 * One op of a batch (Kind.opsBatch): it does part of the work of several changes at once. A change is
 * applied when every op covering it has completed it; an op that fails stops the apply there.
 */
export interface BatchOp extends Op {
  /** Indexes (into the changes given to opsBatch) this op works for, in the order it completes them. */
  covers: number[];
  /**
   * How many of `covers` (a prefix, in order) the op completed, read from its output. Default: all of
   * them when it exits 0, none otherwise.
   */
  completed?(out: ProbeOutput): number;
  /** What this op does for the change at `covers[i]`, in that change's own words (for its failure message). */
  labelOf?(i: number): string;
}

export interface ProbeBatch {
  cmds: string[][];
  /** Outputs of `cmds` → per resource (in the order given), what its own `probe` commands would have returned. */
  split(out: ProbeOutput[]): ProbeOutput[][];
}

type Rec = Record<string, unknown>;

/**
 * A change as its own kind sees it: the resource is the kind's resource type. The registry hands each
 * kind only changes of its type, so kinds never cast the resource they get.
 */
export type KindChange<R> = Omit<Change, "resource"> & { resource?: R };

/** What inverting one applied change gives: a change, or nothing with a warning or a "kept" note. */
export interface Inverse {
  change?: Change;
  warning?: string;
  /** Kept by its rollback policy: said once in the down plan's warnings. */
  kept?: string;
}

export interface InvertCtx {
  /** Backup payloads of the tracked run being reversed, by change key. */
  backups: Readonly<Record<string, BackupId>>;
  /** Warnings for the down plan. */
  warnings: string[];
}

/** How a unit-file kind takes part in handlers (daemon-reload, start/restart). */
export interface UnitRole {
  name: string;
  start: boolean;
  restartOn: readonly string[];
  /** Keys of resources whose change reloads it (unless it restarts anyway). */
  reloadOn?: readonly string[];
}

/** Colours a plan line (no-op without a terminal). */
export type Paint = (code: number, s: string) => string;

export interface Kind<R extends ResourceBase = ResourceBase, F = unknown> {
  type: R["type"];
  /** The resource's schema (a strict object with the base fields): the model and plan schemas derive from it. */
  schema: ResourceSchemaOf<R>;
  /** Host facts this kind reads beyond accounts. */
  facts?: readonly FactDef[];
  /** Commands whose output `parse` reads. All probes of a host run in ONE batched script. */
  probe(r: R, ctx: TargetCtx): string[][];
  /**
   * Optional: the probes of MANY resources of this kind as a few commands (a constant number per chunk,
   * not per resource), and how their outputs split back into exactly what each resource's `probe`
   * commands would have printed, so `parse` (and its recorded fixtures) stay the single contract.
   */
  probeBatch?(rs: R[], ctx: TargetCtx): ProbeBatch;
  parse(r: R, out: ProbeOutput[], facts: HostFacts, ctx: TargetCtx): F;
  /**
   * Optional: an async step between the probe and `parse`, over ALL of this kind's resources on the
   * host at once, for what the kind can only know once the host was read (package names need the
   * host's repository, from os-release, and a lookup through `ctx.lookups`). Its result is stored
   * as the host fact `resolved:<type>` (`resolvedOf`), which `parse` reads. Throws a HostKitError
   * naming every declaration it could not resolve; it runs for every read of the host (plans,
   * staleness and down-plan checks), so it must be deterministic for the same facts and lookups.
   */
  resolve?(rs: R[], facts: HostFacts, ctx: TargetCtx): Promise<unknown>;
  /** Pure. */
  diff(r: R, fact: F): Decision;
  /** The data a saved plan's staleness is judged on (default: the fact). Must hold no secret values. */
  basis?(fact: F): unknown;
  /** Argv ops that make `change` true on the target. */
  ops(change: KindChange<R>, ctx: TargetCtx): Op[];
  /**
   * Optional batched form of `ops`: the ops of MANY changes of this kind, consecutive in the plan and
   * independent of each other (none requires another), as a few ops (N files → one program reading
   * one stream; N units → one `systemctl enable`). Must do exactly what running each change's `ops`
   * would, with the same guarantees, and say through `covers`/`completed` which changes each op
   * completed, so a failure mid-batch reports exactly which changes were applied. Returns undefined
   * to let the applier run the changes one by one.
   */
  opsBatch?(changes: KindChange<R>[], ctx: TargetCtx): BatchOp[] | undefined;
  /** Down plans and their staleness. */
  down: {
    /** The inverse of an applied change (pure; from its before/after and the run's backups). */
    invert(change: KindChange<R>, ctx: InvertCtx): Inverse;
    /** The state an applied change leaves, reduced to what a re-read can confirm (undefined: nothing). */
    settled(change: Pick<Change, "action" | "after">): Rec | undefined;
    /** The same projection from a fact the probe read. */
    observed(fact: F): Rec | undefined;
    /** The resource a down change is re-read with (default: its own). */
    probeResource?(change: KindChange<R>): R;
  };
  /**
   * The path on the host this resource writes, with the owner its parents may have besides root:
   * walked (link and ownership checks) at plan time and by the fixed programs at apply time.
   * `linkOk`: the declared object is itself a link (a link at the path is replaced, never followed).
   */
  writes?(r: R): { path: string; owner: string; trust: boolean; linkOk?: boolean };
  /** Its backups hold secret values (env files): they restore it, and are never shown. */
  backupIsSecret?: boolean;
  /** File-like kinds: the path whose previous bytes a tracked run backs up before changing it. */
  contentPath?(r: R): string;
  /** Extra lines under a change in the human plan (content diffs); default: a diff of `content`. */
  formatDiff?(change: KindChange<R>, paint: Paint): string[] | undefined;
  /** The text HostKit writes for it (`hostkit render`), if any. */
  render?(r: R): string | undefined;
  /** One line of detail for `hostkit dump`. */
  describe?(r: R): string;
  /**
   * Pruning (a resource HostKit recorded as managed that is no longer declared): "policy" (default)
   * plans an ordinary delete change (this kind's `ops` for action "delete") unless its rollback policy
   * keeps it — "keep" keeps it with a warning naming it; "delete_if_created" deletes only what HostKit
   * created. "never": not recorded as managed at all (commands: nothing on the host to delete).
   */
  prune?: "policy" | "never";
  /**
   * Whether this change is a release change of its service: one that runs the service's
   * `when: "changed"` commands (a migration), and whose reverting runs their downs. Default: any
   * change. Unit files say true only when the unit is new or what it runs changed (ExecStart,
   * WorkingDirectory, EnvironmentFile) — a restartSec-only edit runs no migration.
   */
  triggers?(change: KindChange<R>): boolean;
  /** Unit-file kinds: their role in handlers. */
  unit?(r: R): UnitRole;
  /**
   * Handler steps a change of this kind notifies (a Caddy site → `service_state:caddy.service` with
   * op "reload"). Deduplicated by key (a restart of the same unit wins) and placed after every
   * resource change by src/plan/handlers.ts — the same function for up and down plans.
   */
  notify?(change: KindChange<R>): Change[];
  /** Secret references a change needs resolved at apply time (checked before anything runs). */
  secretRefs?(change: KindChange<R>): Record<string, SecretRef>;
  /**
   * Kinds whose changes the planner does not diff one by one (commands run as steps): they return
   * their steps from every observed resource and the resource changes.
   */
  steps?(input: StepInput): { before: Change[]; after: Change[]; notRun: string[]; skipped?: string[] };
  /**
   * Kinds whose DSL declaration maps straight to one resource: compile calls this with the
   * declaration's options (validated by the DSL method) and the scope's defaults, so adding such a
   * kind needs no edit of compile.
   */
  compile?(decl: { id: string; opts: Record<string, unknown> }, scope: CompileScope): R;
  /**
   * Kinds this build cannot plan on this target (packages and mise on an offline root): when it
   * returns a warning, their resources are left out with it, and the plan is marked incomplete (so
   * `--detailed-exitcode` never says "nothing to change" for them). Undefined: planned as usual.
   */
  unplanned?(rs: R[], ctx: TargetCtx): string | undefined;
  /**
   * Plan-time checks: what applying this resource would fail on (or do wrongly) that the plan can
   * already see — another kind of object at its path, a calendar spec the target's systemd refuses.
   * Each message becomes one plan error naming the resource, its file:line and the host; nothing is
   * applied. `probe` adds commands over ALL this kind's resources on the host to the probe's one
   * round trip (e.g. `systemd-analyze calendar` on the target); `problems` reads their output.
   */
  check?: {
    probe?(rs: R[], ctx: TargetCtx): string[][];
    problems(r: R, fact: F, env: CheckEnv): string[];
  };
  /** The user and group names that must exist when this resource is applied (owner, group, User=). */
  needs?(r: R, ctx: TargetCtx): Names;
  /** The names applying this resource creates (an account: its user and its own group). */
  provides?(r: R, ctx: TargetCtx): Names;
  /** Ports it listens on: two resources of one host on one port with overlapping addresses cannot both run. */
  listens?(r: R): readonly Listen[];
}

/** What compile knows where a declaration was made. */
export interface CompileScope {
  source: { file: string; line: number };
  service?: string;
  /** Default owner: the service account when the service declares one, else root. */
  owner: string;
  /** The default group of an owner (a declared account's primary group, else the owner's name). */
  groupOf(owner: string): string;
}

export interface StepInput {
  resources: readonly ResourceBase[];
  changes: readonly Change[];
  ctx: TargetCtx;
  /** All observed resources (a step may read other kinds' declarations, e.g. env files' secrets). */
  all: readonly ResourceBase[];
  /** Whether a resource change is a release change of its service (its kind's `triggers`; default true). */
  release(change: Change): boolean;
}

/**
 * A kind's resource schema: a valibot strict object (`v.strictObject({...BASE, type: v.literal(…)})`),
 * typed structurally so that the editor types of `hostkit init` need no valibot.
 */
export interface ResourceSchemaOf<R> {
  readonly kind: "schema";
  readonly type: string;
  readonly entries: Readonly<Record<string, unknown>>;
  readonly "~types"?: { readonly output: R } | undefined;
}

/** Typed identity: a kind definition that misses a required part is a type error. */
/** User and group names (plan-time validation of owners against the host and the declared accounts). */
export interface Names {
  users?: readonly string[];
  groups?: readonly string[];
}

/** One declared listener: `on` is "any", "loopback" or an address. */
export interface Listen {
  name: string;
  port: number;
  on: string;
  /** One server's listeners (Caddy's sites on :443): they share their ports, and clash only with others'. */
  shared?: string;
}

/** What a kind's plan-time `check.problems` reads besides the resource and its fact. */
export interface CheckEnv {
  facts: HostFacts;
  ctx: TargetCtx;
  /** The outputs of this kind's `check.probe` commands (empty when it has none). */
  out: readonly ProbeOutput[];
}

export function defineKind<R extends ResourceBase, F>(k: Kind<R, F>): Kind<R, F> {
  return k;
}

/** A derived step (daemon-reload, start/restart…): not a resource, but ops of its own. */
export interface StepKind {
  type: string;
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
