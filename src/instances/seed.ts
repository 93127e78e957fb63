/**
 * Seeds a guest's login key through the backend (files and commands over the backend's own channel,
 * never over the network), for images without cloud-init: the public half of the nested host's key
 * goes into the user's `authorized_keys`. (The instance kind itself seeds keys and passwords with its
 * own ops: src/kinds/instance.ts.)
 *
 * Idempotent: a key already present is not appended again; other keys in the file are kept.
 */
import { BackendError, type InstanceBackend } from "./backend.ts";

export interface SeedResult {
  /** True when the file was written. */
  changed: boolean;
  path: string;
}

export interface Account {
  user: string;
  uid: number;
  gid: number;
  home: string;
}

const USER_NAME = /^[a-z_][a-z0-9_-]*\$?$/i;
/** One OpenSSH public key line: type, base64 body, optional comment. */
const PUBLIC_KEY = /^(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}(?: [^\r\n\0]*)?$/;

/** `getent passwd USER` inside the guest. */
export async function lookupAccount(backend: InstanceBackend, name: string, user: string): Promise<Account> {
  if (!USER_NAME.test(user)) throw new TypeError(`not a valid user name: ${JSON.stringify(user)}`);
  const r = await backend.exec(name, ["getent", "passwd", user]);
  if (r.code === 2) throw new BackendError(`instance "${name}": user "${user}" does not exist in the guest`, ["getent", "passwd", user], r.code);
  if (r.code !== 0) throw new BackendError(`instance "${name}": getent passwd ${user} failed (exit ${r.code}): ${r.stderr.trim()}`, ["getent", "passwd", user], r.code);
  const f = r.stdout.trim().split("\n")[0]!.split(":");
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  const home = f[5] ?? "";
  if (f.length < 7 || !Number.isInteger(uid) || !Number.isInteger(gid) || !home.startsWith("/"))
    throw new BackendError(`instance "${name}": unexpected passwd entry for "${user}": ${JSON.stringify(r.stdout.trim())}`, ["getent", "passwd", user], 0);
  return { user, uid, gid, home };
}

/** Validate a `.pub` file's content and return its single key line. */
export function publicKeyLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length !== 1 || !PUBLIC_KEY.test(lines[0]!.trim())) throw new TypeError("not a single OpenSSH public key line (expected e.g. `ssh-ed25519 AAAA… comment`)");
  return lines[0]!.trim();
}

/** The key's type and body: two lines with different comments are the same key. */
function keyId(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(" ");
}

export async function seedAuthorizedKey(backend: InstanceBackend, name: string, o: { user: string; publicKey: string }): Promise<SeedResult> {
  const key = publicKeyLine(o.publicKey);
  const acct = await lookupAccount(backend, name, o.user);
  const dir = `${acct.home.replace(/\/+$/, "")}/.ssh`;
  const path = `${dir}/authorized_keys`;
  // refuse a symlinked ~/.ssh or authorized_keys: the write must land where sshd looks, owned by the user
  const mk = await backend.exec(name, [
    "sh",
    "-c",
    'set -e; for p in "$1" "$1/authorized_keys"; do if [ -L "$p" ]; then echo "$p is a symbolic link" >&2; exit 3; fi; done; install -d -m 0700 -o "$2" -g "$3" "$1"',
    "sh",
    dir,
    String(acct.uid),
    String(acct.gid),
  ]);
  if (mk.code !== 0) throw new BackendError(`instance "${name}": cannot prepare ${dir}: ${mk.stderr.trim() || `exit ${mk.code}`}`, ["install", "-d", dir], mk.code);
  const cur = await backend.exec(name, ["cat", "--", path]);
  const existing = cur.code === 0 ? cur.stdout : "";
  if (existing.split("\n").some((l) => l.trim() !== "" && !l.trim().startsWith("#") && keyId(l) === keyId(key))) return { changed: false, path };
  const body = (existing === "" || existing.endsWith("\n") ? existing : existing + "\n") + key + "\n";
  await backend.pushFile(name, path, new TextEncoder().encode(body), { mode: 0o600, uid: acct.uid, gid: acct.gid });
  return { changed: true, path };
}
