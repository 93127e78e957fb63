/**
 * OpenSSH known_hosts: reading (plain patterns with `*`/`?`/`!`, hashed `|1|salt|hash`, `[host]:port` for
 * non-22 ports, `@revoked`), checking a presented host key, and appending a hashed entry. Pure apart from
 * `readKnownHosts` / `appendKnownHost`.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: "revoked" | "cert-authority";
  /** The host field as written: comma-separated patterns, or one `|1|salt|hash`. */
  hosts: string;
  type: string;
  /** Base64 of the public key blob. */
  key: string;
}

export type HostKeyCheck =
  | { kind: "known"; line: number }
  | { kind: "unknown" }
  | { kind: "changed"; line: number; type: string }
  | { kind: "revoked"; line: number };

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const words = line.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (words[0] === "@revoked" || words[0] === "@cert-authority") {
      marker = words[0] === "@revoked" ? "revoked" : "cert-authority";
      words.shift();
    }
    const [hosts, type, key] = words;
    if (!hosts || !type || !key) return;
    entries.push({ line: i + 1, ...(marker ? { marker } : {}), hosts, type, key });
  });
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

/** Does a known_hosts host field match `name` (as produced by `knownHostName`)? */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith("|1|")) {
    const [, , salt, hash] = field.split("|");
    if (!salt || !hash) return false;
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  let matched = false;
  for (const pattern of field.split(",")) {
    const negated = pattern.startsWith("!");
    if (globToRegExp(negated ? pattern.slice(1) : pattern).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The key type named inside an SSH public key blob (e.g. `ssh-ed25519`). */
export function blobType(blob: Uint8Array): string {
  const b = Buffer.from(blob);
  if (b.length < 4) return "unknown";
  const n = b.readUInt32BE(0);
  return b.subarray(4, 4 + n).toString("latin1");
}

/** OpenSSH-style fingerprint: `SHA256:` + unpadded base64 of the blob's SHA-256. */
export function fingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

export function checkHostKey(entries: readonly KnownHostEntry[], name: string, blob: Uint8Array): HostKeyCheck {
  const type = blobType(blob);
  const key = Buffer.from(blob).toString("base64");
  const mine = entries.filter((e) => e.marker !== "cert-authority" && hostFieldMatches(e.hosts, name));
  const revoked = mine.find((e) => e.marker === "revoked" && e.key === key);
  if (revoked) return { kind: "revoked", line: revoked.line };
  const same = mine.find((e) => !e.marker && e.type === type && e.key === key);
  if (same) return { kind: "known", line: same.line };
  const other = mine.find((e) => !e.marker && e.type === type) ?? mine.find((e) => !e.marker);
  if (other) return { kind: "changed", line: other.line, type: other.type };
  return { kind: "unknown" };
}

/** Key types already recorded for `name`, in file order (the client should ask the server for these first). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, name)).map((e) => e.type);
  return [...new Set(types)];
}

const DEFAULT_HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
] as const;
export type HostKeyAlgorithm = (typeof DEFAULT_HOST_KEY_ALGORITHMS)[number];

/** Host key algorithms to offer, with those matching already-known key types first (as OpenSSH does). */
export function preferredHostKeyAlgorithms(knownTypes: readonly string[]): HostKeyAlgorithm[] {
  const forType = (t: string): HostKeyAlgorithm[] =>
    t === "ssh-rsa"
      ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
      : DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => a === t);
  const first = knownTypes.flatMap(forType);
  return [...new Set([...first, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

/** A hashed known_hosts line (`|1|salt|hash type key`), as `HashKnownHosts yes` writes. */
export function hashedEntry(name: string, blob: Uint8Array, salt: Uint8Array = randomBytes(20)): string {
  const hash = createHmac("sha1", salt).update(name).digest("base64");
  return `|1|${Buffer.from(salt).toString("base64")}|${hash} ${blobType(blob)} ${Buffer.from(blob).toString("base64")}`;
}

export function readKnownHosts(file: string): KnownHostEntry[] {
  if (!existsSync(file)) return [];
  return parseKnownHosts(readFileSync(file, "utf8"));
}

/** Append a hashed entry; creates the file (0600) and its directory (0700) when missing. */
export function appendKnownHost(file: string, name: string, blob: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const existing = existsSync(file) ? readFileSync(file, "utf8") : "";
  const sep = existing && !existing.endsWith("\n") ? "\n" : "";
  appendFileSync(file, `${sep}${hashedEntry(name, blob)}\n`, { mode: 0o600 });
}
