/**
 * Backups of previous file-like state, taken by a tracked apply right before a change overwrites or
 * removes it: the controller reads the file from the target (one `stat` + `cat` round trip) and keeps
 * the bytes under `<backups root>/<run id>/`, files 0600 in 0700 directories (env files hold secret
 * values; only these payloads ever do). Down plans point at them with `{"$backup": …}` references,
 * and the applier reads them back, verifying their sha256.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readFileSync, writeSync } from "node:fs";
import { basename, join } from "node:path";
import { HostKitError } from "../model/errors.ts";
import { makeOwnDir } from "../artifacts/own-dir.ts";
import type { Change } from "../model/plan.ts";
import { backupCandidate, type BackupRef } from "../plan/down.ts";
import { sha256 } from "../kinds/file.ts";
import { kindOf } from "../kinds/registry.ts";
import { BACKUP_ID, type BackupId, type TargetCtx } from "../model/kind.ts";
import { READ_PREVIOUS_PART } from "../kinds/scripts-batch.ts";

/** A backup is read from the target in parts of this size (each part is held while it is written). */
const PART = 8 << 20;
import { text, type Runner } from "../targets/runner.ts";

/** What a run record keeps about one backup (no content). */
export interface BackupEntry {
  path: string;
  sha256: string;
  size: number;
  owner: string;
  group: string;
  mode: number;
}

/** The path of a file-like resource's content on the target, as its kind says (unit files live under /etc/systemd/system). */
export function targetPath(c: Pick<Change, "type" | "id" | "resource">): string {
  const kind = kindOf(c.type);
  if (!kind?.contentPath || !c.resource) throw new HostKitError({ subject: `${c.type}:${c.id}`, message: "has no file content to back up" });
  return kind.contentPath(c.resource);
}

function slug(c: Pick<Change, "type" | "id">): string {
  return `${c.type}-${c.id.replace(/^\/+/, "").replace(/[^A-Za-z0-9._-]+/g, "_")}`.slice(0, 160);
}

/** Keeps the backups of one run. */
export class RunBackups {
  readonly refs: Record<string, BackupRef> = {};
  private count = 0;
  constructor(
    readonly dir: string,
    readonly runId: string,
    private readonly runner: Runner,
    private readonly ctx: TargetCtx,
  ) {}

  /** Back up the previous content `change` is about to replace (no-op for changes without one). */
  async take(change: Change): Promise<BackupEntry | undefined> {
    if (!backupCandidate(change)) return undefined;
    const path = targetPath(change);
    const r = change.resource as { owner?: string; unsafeParents?: boolean } | undefined;
    const res = await this.runner.exec(["sh", "-c", READ_PREVIOUS_PART, "hostkit-backup", path, this.ctx.root ?? "", r?.owner ?? "root", r?.unsafeParents ? "1" : "0", "0", String(PART)]);
    const fail = (why: string) => new HostKitError({ subject: change.key, message: `could not back up ${path} before changing it: ${why}` });
    if (res.code !== 0) throw fail(text(res.stderr).trim() || `exit ${res.code}`);
    const nl = res.stdout.indexOf(10);
    const [mode, statOwner, statGroup, sizeText] = text(res.stdout.subarray(0, nl)).split("|");
    const size = Number(sizeText);
    const before = (change.before ?? {}) as { owner?: string; group?: string; sha256?: string };
    makeOwnDir(this.dir);
    const file = join(this.dir, `${String(++this.count).padStart(2, "0")}-${slug(change)}`);
    // Written as it is read, a part at a time: a large file is never held whole.
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const hash = createHash("sha256");
    let got = 0;
    try {
      for (let part = res.stdout.subarray(nl + 1); ; ) {
        writeSync(fd, part);
        hash.update(part);
        got += part.length;
        if (got >= size || part.length === 0) break;
        const more = await this.runner.exec(["sh", "-c", READ_PREVIOUS_PART, "hostkit-backup", path, this.ctx.root ?? "", r?.owner ?? "root", r?.unsafeParents ? "1" : "0", String(got), String(PART)]);
        if (more.code !== 0) throw fail(text(more.stderr).trim() || `exit ${more.code}`);
        const at = more.stdout.indexOf(10);
        if (text(more.stdout.subarray(0, at)) !== text(res.stdout.subarray(0, nl))) throw fail("it changed while being read");
        part = more.stdout.subarray(at + 1);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const sum = hash.digest("hex");
    if (got !== size) throw fail(`read ${got} of ${size} bytes (it changed while being read)`);
    // Read in parts, a file changed between them would be a mix: it must be what the plan saw.
    if (size > PART && before.sha256 && sum !== before.sha256) throw fail("it changed since it was planned");
    const entry: BackupEntry = {
      path: file,
      sha256: sum,
      size,
      // Offline trees name owners from the tree's own passwd, as the plan does.
      owner: this.ctx.root ? (before.owner ?? statOwner!) : statOwner!,
      group: this.ctx.root ? (before.group ?? statGroup!) : statGroup!,
      mode: parseInt(mode!, 8),
    };
    this.refs[change.key] = { run: this.runId, id: basename(file), sha256: entry.sha256 };
    return entry;
  }
}

/** Where the backups of one run are: the payloads a down plan of that run may restore. */
export interface BackupStore {
  run: string;
  dir: string;
}

/**
 * The bytes of a backup payload, refused when the reference is not one of `store`'s own payloads
 * (another run, a path, `..`, a symlink, not a regular file), or is missing or not what the down
 * plan expects.
 */
export function readBackup(store: BackupStore | undefined, ref: BackupId): Uint8Array {
  const subject = `backup ${ref.id} of run ${ref.run}`;
  const fd = openBackup(store, ref);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  const got = sha256(bytes);
  if (got !== ref.sha256) throw new HostKitError({ subject, message: `has sha256 ${got}, not ${ref.sha256} as the down plan expects; refusing to restore it` });
  return bytes;
}

/**
 * An open descriptor of a backup payload (the caller closes it and verifies the sha256 of what it
 * reads), refused when the reference is not one of `store`'s own payloads (another run, a path, `..`,
 * a symlink, not a regular file) or is missing.
 */
export function openBackup(store: BackupStore | undefined, ref: BackupId): number {
  const subject = `backup ${ref.id} of run ${ref.run}`;
  if (!store) throw new HostKitError({ subject, message: "the plan restores a backup payload, but no tracked run's backups were given to apply it from; refusing", hint: "derive the down plan with hostkit down --run/--last" });
  if (ref.run !== store.run) throw new HostKitError({ subject, message: `belongs to another run than the one this plan reverses (${store.run}); refusing` });
  if (!BACKUP_ID.test(ref.id)) throw new HostKitError({ subject, message: "is not a plain payload name; refusing" });
  const path = join(store.dir, ref.id);
  let fd: number | undefined;
  try {
    if (lstatSync(store.dir).isSymbolicLink()) throw new Error(`${store.dir} is a symbolic link`);
    // O_NOFOLLOW: a payload swapped for a symlink is refused, never followed to another file.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    if (!fstatSync(fd).isFile()) throw new Error("not a regular file");
    return fd;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    throw new HostKitError({ subject, message: `cannot be read from ${store.dir}: ${(e as Error).message}`, hint: "backups are removed by hostkit runs --prune" });
  }
}
