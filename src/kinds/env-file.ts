/**
 * `env_file`: a dotenv file whose secret values are resolved from the controller's environment at
 * apply time only. Drift compares metadata and the non-secret `set` entries; values read from the
 * host are dropped at parse time and never reach a fact, a plan or a basis, except a `set` key's
 * value that equals the declared one (already in the plan, so nothing new). A host value that differs
 * is never kept: HostKit cannot know whether it was a secret (a key moved from `secret` to `set`, a
 * hand-edited value), so the plan only says that it differs — `(secret value changed)`.
 */
import type { EnvFile } from "../model/resource.ts";
import { parseEnvFile } from "../render/dotenv.ts";
import { fileProbe, fileProbeBatch, parseFileFact, removeOp, writeOp } from "./file.ts";
import { metaDiffs, type PathStat } from "./stat.ts";
import { backupPayload, onTarget, type Kind } from "./types.ts";

export interface EnvFileFact extends PathStat {
  /** The keys declared in `set` whose host value equals the declared one, with that value (anything else may be a secret). */
  set: Record<string, string>;
  /** Every key present in the file. */
  keys: string[];
}

export const envFile: Kind<EnvFile, EnvFileFact> = {
  type: "env_file",
  probe: (r, ctx) => fileProbe(onTarget(ctx, r.path)),
  probeBatch: fileProbeBatch<EnvFile>((r) => r.path),
  parse(r, out, facts, ctx) {
    const f = parseFileFact(out, facts, ctx);
    const { content, contentBase64: _b, sha256: _s, ...meta } = f;
    if (!f.exists || content === undefined) return { ...meta, set: {}, keys: [] };
    const parsed = parseEnvFile(content);
    const set: Record<string, string> = {};
    for (const [k, want] of Object.entries(r.set)) if (parsed[k] === want) set[k] = want;
    return { ...meta, set, keys: Object.keys(parsed).sort() };
  },
  diff(r, f) {
    const after = { owner: r.owner, group: r.group, mode: r.mode, set: r.set, secret: r.secret };
    if (!f.exists) return { action: "create", reason: "env file does not exist", before: { exists: false }, after };
    const before = { exists: true, owner: f.owner, group: f.group, mode: f.mode, set: f.set, keys: f.keys };
    const why: string[] = [];
    const changed = Object.keys(r.set).filter((k) => f.set[k] !== r.set[k]);
    if (changed.length) why.push(`${changed.join(", ")} ${changed.length === 1 ? "differs" : "differ"}`);
    const missingSecrets = Object.keys(r.secret).filter((k) => !f.keys.includes(k));
    if (missingSecrets.length) why.push(`secret ${missingSecrets.join(", ")} missing`);
    const extra = f.keys.filter((k) => !(k in r.set) && !(k in r.secret));
    if (extra.length) why.push(`undeclared ${extra.join(", ")}`);
    why.push(...metaDiffs(f, r));
    return why.length ? { action: "update", reason: why.join(", "), before, after } : { action: "noop", reason: "env file matches (secret values are not compared)", before, after };
  },
  ops(change, ctx) {
    const r = change.resource as EnvFile;
    if (change.action === "delete") return [removeOp(`remove env file ${r.path}`, r.path, "file", r, ctx.root)];
    return [writeOp(`write env file ${r.path}`, r.path, backupPayload(change.after?.content) ?? { envFile: { set: r.set, secret: r.secret } }, r, ctx.root)];
  },
};
