/**
 * `env_file`: a dotenv file whose secret values are resolved from the controller's environment at
 * apply time only. Drift compares metadata and the non-secret `set` entries; secret values read
 * from the host are dropped at parse time and never reach a fact, a plan or a basis.
 */
import type { EnvFile } from "../model/resource.ts";
import { parseEnvFile } from "../render/dotenv.ts";
import { fileProbe, fileProbeBatch, parseFileFact, removeOp, writeOp } from "./file.ts";
import { metaDiffs, type PathStat } from "./stat.ts";
import { backupPayload, onTarget, type Kind } from "./types.ts";

export interface EnvFileFact extends PathStat {
  /** Values of the keys declared in `set` (only those: anything else may be a secret). */
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
    for (const k of Object.keys(r.set)) if (k in parsed) set[k] = parsed[k]!;
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
