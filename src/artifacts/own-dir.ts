/**
 * Controller-side directories that hold private data (backup payloads): made for this user only and
 * never through a link. A run's backup directory has a predictable name (`<backups root>/<run id>`),
 * so whoever can write the backups root could pre-create a link there to make HostKit chmod, fill or
 * delete another directory: anything already at that name that is not a real directory of ours is
 * refused, files are created O_EXCL|O_NOFOLLOW, and removal never follows a link.
 */
import { chmodSync, closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { HostKitError } from "../model/errors.ts";

/** Create `dir` mode 0700 (its parent as needed); an existing `dir` must be a real directory this user owns. */
export function makeOwnDir(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const st = lstatSync(dir);
    const uid = process.getuid?.() ?? st.uid;
    if (st.isSymbolicLink()) throw new HostKitError({ subject: `backup directory ${dir}`, message: "is a symbolic link; refusing to write backups through it" });
    if (!st.isDirectory() || st.uid !== uid) throw new HostKitError({ subject: `backup directory ${dir}`, message: `exists and is not a directory owned by uid ${uid}; refusing to use it` });
  }
  chmodSync(dir, 0o700); // a real directory of ours (checked above, or just made)
}

/** Write a NEW file, mode 0600: never over an existing name, never through a link. */
export function writeNewPrivate(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Remove `dir` and what it holds when it is a real directory; a link there is removed as a link, never followed. */
export function removeOwnDir(dir: string): void {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) unlinkSync(dir);
  else if (st.isDirectory()) rmSync(dir, { recursive: true, force: true });
}
