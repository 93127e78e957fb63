/**
 * `env_file`: a dotenv file whose secret values are resolved from the controller's environment at
 * apply time only. Drift compares metadata and the non-secret `set` entries; values read from the
 * host are dropped at parse time and never reach a fact, a plan or a basis, except a `set` key's
 * value that equals the declared one (already in the plan, so nothing new). A host value that differs
 * is never kept: HostKit cannot know whether it was a secret (a key moved from `secret` to `set`, a
 * hand-edited value), so the plan only says that it differs — `(secret value changed)`.
 */
import * as v from "valibot";
import { AbsPath, BASE, RollbackSchema } from "../model/resource.ts";
import { SecretRefSchema, type SecretRef } from "../model/secret.ts";
import { aspects, backupRef, deleteCreated, metaOf, sameKey, type Rec } from "./inverse.ts";
import { stableStringify } from "../plan/digest.ts";
import { renderEnvFileMasked } from "../render/dotenv.ts";
import { parseEnvFile } from "../render/dotenv.ts";
import { directoryInTheWay, fileProbe, fileProbeBatch, parseFileFact, removeOp, writeOp } from "./file.ts";
import { metaDiffs, type PathStat } from "./stat.ts";
import { backupPayload, defineKind, onTarget, type InvertCtx, type Inverse , type KindChange, type Payload, type BatchOp, type Kind, type Op } from "../model/kind.ts";
import { batchWrites } from "./batch-ops.ts";

export const EnvFileSchema = v.strictObject({
  ...BASE,
  type: v.literal("env_file"),
  path: AbsPath,
  name: v.optional(v.string()),
  set: v.record(v.string(), v.string()),
  secret: v.record(v.string(), SecretRefSchema),
  owner: v.string(),
  group: v.string(),
  mode: v.number(),
  /** Live hosts: allow parents owned by another non-root user (see the DSL option). */
  unsafeParents: v.optional(v.boolean()),
  rollback: RollbackSchema,
});
export type EnvFile = v.InferOutput<typeof EnvFileSchema>;

/** What a plan says in place of an env value it does not show. */
export const SECRET_CHANGED = "(secret value changed)";

export interface EnvFileFact extends PathStat {
  /** The keys declared in `set` whose host value equals the declared one, with that value (anything else may be a secret). */
  set: Record<string, string>;
  /** Every key present in the file. */
  keys: string[];
  /**
   * Secret keys whose host value differs from the value the controller holds now (names only: the
   * comparison is made in memory, on the controller, from the bytes the probe read; neither value nor
   * any hash of one is kept).
   */
  secretChanged?: string[];
  /** Secret keys not compared: their variable is not set on the controller at plan time. */
  secretUncompared?: string[];
}

/** Which declared secrets differ from the controller's current values, and which could not be compared. */
function compareSecrets(r: EnvFile, parsed: Record<string, string>): { secretChanged?: string[]; secretUncompared?: string[] } {
  const changed: string[] = [];
  const uncompared: string[] = [];
  for (const [k, ref] of Object.entries(r.secret)) {
    if (!(k in parsed)) continue; // missing: reported as missing
    const want = process.env[ref.$secret.env];
    if (want === undefined) uncompared.push(k);
    else if (parsed[k] !== want) changed.push(k);
  }
  return { ...(changed.length ? { secretChanged: changed.sort() } : {}), ...(uncompared.length ? { secretUncompared: uncompared.sort() } : {}) };
}

/** A down plan's backup, else the declared entries (secrets resolved by the applier, at apply time only). */
function envPayload(c: KindChange<EnvFile>): Payload {
  return backupPayload(c.after?.content) ?? { envFile: { set: c.resource!.set, secret: c.resource!.secret } };
}

export const envFile: Kind<EnvFile, EnvFileFact> = defineKind<EnvFile, EnvFileFact>({
  type: "env_file",
  schema: EnvFileSchema,
  probe: (r, ctx) => fileProbe(onTarget(ctx, r.path)),
  probeBatch: fileProbeBatch<EnvFile>((r) => r.path),
  parse(r, out, facts, ctx) {
    const f = parseFileFact(out, facts, ctx);
    const { content, contentBase64: _b, sha256: _s, ...meta } = f;
    if (!f.exists || content === undefined) return { ...meta, set: {}, keys: [] };
    const parsed = parseEnvFile(content);
    const set: Record<string, string> = {};
    for (const [k, want] of Object.entries(r.set)) if (parsed[k] === want) set[k] = want;
    return { ...meta, set, keys: Object.keys(parsed).sort(), ...(ctx.compareSecrets === false ? {} : compareSecrets(r, parsed)) };
  },
  // The host's state only: the secret comparison depends on the controller's environment, not the host.
  basis: ({ secretChanged: _c, secretUncompared: _u, ...f }) => f,
  diff(r, f) {
    const after = { owner: r.owner, group: r.group, mode: r.mode, set: r.set, secret: r.secret };
    if (!f.exists) return { action: "create", reason: "env file does not exist", before: { exists: false }, after };
    const before = { exists: true, owner: f.owner, group: f.group, mode: f.mode, set: f.set, keys: f.keys, ...(f.secretChanged ? { secretChanged: f.secretChanged } : {}) };
    const why: string[] = [];
    const changed = Object.keys(r.set).filter((k) => f.set[k] !== r.set[k]);
    if (changed.length) why.push(`${changed.join(", ")} ${changed.length === 1 ? "differs" : "differ"}`);
    const missingSecrets = Object.keys(r.secret).filter((k) => !f.keys.includes(k));
    if (missingSecrets.length) why.push(`secret ${missingSecrets.join(", ")} missing`);
    if (f.secretChanged?.length) why.push(`secret ${f.secretChanged.join(", ")} changed`);
    const extra = f.keys.filter((k) => !(k in r.set) && !(k in r.secret));
    if (extra.length) why.push(`undeclared ${extra.join(", ")}`);
    why.push(...metaDiffs(f, r));
    const uncompared = f.secretUncompared ?? [];
    const warning = uncompared.length ? `the values of secret ${uncompared.join(", ")} were not compared (not set on the controller): a rotated value is not detected` : undefined;
    if (why.length) return { action: "update", reason: why.join(", "), before, after, ...(warning ? { warning } : {}) };
    const reason = !Object.keys(r.secret).length ? "env file matches" : uncompared.length ? `env file matches; the values of secret ${uncompared.join(", ")} were not compared (not set on the controller)` : "env file matches (secret values compared)";
    return { action: "noop", reason, before, after, ...(warning ? { warning } : {}) };
  },
  ops(change, ctx) {
    const r = change.resource!;
    if (change.action === "delete") return [removeOp(`remove env file ${r.path}`, r.path, "file", r, ctx.root)];
    return [writeOp(`write env file ${r.path}`, r.path, envPayload(change), r, ctx.root)];
  },
  opsBatch: (changes, ctx): BatchOp[] =>
    batchWrites(changes, ctx.root, (c, index) => (c.action === "delete" ? undefined : { index, label: `write env file ${c.resource!.path}`, path: c.resource!.path, payload: envPayload(c), mode: c.resource!.mode, owner: c.resource!.owner, group: c.resource!.group, ...(c.resource!.unsafeParents ? { unsafeParents: true } : {}) }), (c): Op[] => envFile.ops(c, ctx)),
  writes: (r) => ({ path: r.path, owner: r.owner, trust: !!r.unsafeParents }),
  needs: (r) => ({ users: [r.owner], groups: [r.group] }),
  check: { problems: (r, f) => directoryInTheWay(r.path, f) },
  down: {
    invert: invertEnvFile,
    settled(c) {
      if (c.action === "delete") return { exists: false };
      if (c.action !== "create" && c.action !== "update") return undefined;
      const a = (c.after ?? {});
      const set = (a.set ?? {}) as Record<string, string>;
      const keys = [...new Set([...Object.keys(set), ...Object.keys((a.secret ?? {}) as Rec)])].sort();
      return { exists: true, owner: a.owner, group: a.group, mode: a.mode, set, keys };
    },
    observed: (f) => (f.exists ? { exists: true, owner: f.owner, group: f.group, mode: f.mode, set: f.set, keys: f.keys } : { exists: false }),
    // Read for the keys the up plan set (kept in the down change's before), so the observed `set` compares with the settled one.
    probeResource: (c) => ({ ...(c.resource!), set: ((c.before)?.set ?? {}) as Record<string, string> }),
  },
  contentPath: (r) => r.path,
  backupIsSecret: true,
  formatDiff(c) {
    const lines: string[] = [];
    const before = c.before;
    const after = c.after;
    const oldSet = (before?.set ?? {}) as Record<string, string>;
    const newSet = (after?.set ?? {}) as Record<string, string>;
    const keys = (before?.keys ?? []) as string[];
    for (const k of Object.keys(newSet).sort()) {
      if (oldSet[k] === newSet[k]) continue;
      // A previous value is never in a plan (it may have been a secret): only that it differs.
      lines.push(keys.includes(k) ? `~ ${k}: ${SECRET_CHANGED} → ${JSON.stringify(newSet[k])}` : `+ ${k}=${JSON.stringify(newSet[k])}`);
    }
    const rotated = new Set((before?.secretChanged ?? []) as string[]);
    for (const [k, ref] of Object.entries((after?.secret ?? {}) as Record<string, SecretRef>)) {
      if (!keys.includes(k)) lines.push(`+ ${k}=(secret from $${ref.$secret.env})`);
      else if (rotated.has(k)) lines.push(`~ ${k}: ${SECRET_CHANGED} (from $${ref.$secret.env})`);
    }
    return lines;
  },
  render: (r) => renderEnvFileMasked(r),
  describe: (r) => `${r.mode.toString(8).padStart(4, "0")} ${r.owner}:${r.group}`,
  secretRefs: (c) => (c.action === "delete" || c.action === "noop" ? {} : (((c.after)?.secret ?? {}) as Record<string, SecretRef>)),
});

function invertEnvFile(c: KindChange<EnvFile>, ctx: InvertCtx): Inverse {
  const r = c.resource!;
  const b = (c.before ?? {});
  const a = (c.after ?? {});
  const backup = ctx.backups[c.key];
  if (c.action === "create") return deleteCreated(c, r, a);
  const meta = metaOf(b);
  const set = { ...((b.set ?? {}) as Record<string, string>) };
  let resource: EnvFile;
  let after: Rec;
  if (backup) {
    resource = { ...r, set, secret: {}, ...meta };
    after = { ...meta, set, content: backupRef(backup) };
  } else {
    const keys = (b.keys ?? []) as string[];
    // A `set` value that differed before the up plan was not kept (it may have been a secret): it stays as the up plan wrote it.
    const kept = keys.filter((k) => !(k in set) && k in r.set);
    for (const k of kept) set[k] = r.set[k]!;
    if (kept.length) ctx.warnings.push(`${c.key}: previous values of ${kept.join(", ")} were not kept in the plan (they may have been secret) and no tracked run backed them up; the down plan leaves their current values (apply --track keeps backups)`);
    const secretKeys = keys.filter((k) => !(k in set) && k in r.secret);
    const unknown = keys.filter((k) => !(k in set) && !(k in r.secret));
    const secret = Object.fromEntries(secretKeys.map((k) => [k, r.secret[k]!]));
    if (secretKeys.length) ctx.warnings.push(`${c.key}: previous values of ${secretKeys.join(", ")} are not in plans and no tracked run backed them up; the down plan writes their current values from the controller's environment (apply --track keeps backups)`);
    if (unknown.length) ctx.warnings.push(`${c.key}: previous values of ${unknown.join(", ")} are not in the plan and no tracked run backed them up; the restored file leaves them out`);
    resource = { ...r, set, secret, ...meta };
    after = { ...meta, set, secret };
  }
  const what = [...(stableStringify(a.set ?? {}) !== stableStringify(set) ? ["values"] : []), ...aspects({ ...a, sha256: 0 }, { ...b, sha256: 0 })].join(", ") || "file";
  const reason = `${c.action === "delete" ? "recreate the deleted env file" : `restore previous ${what}`}${backup ? ` from the backup of run ${backup.run}` : ""}`;
  const before = c.action === "delete" ? { exists: false } : { exists: true, ...a };
  return { change: { ...sameKey(c), action: c.action === "delete" ? "create" : "update", reason, before, after, resource } };
}
