/**
 * Op payloads → the bytes a command's stdin gets, as a stream (targets/runner.ts StdinStream): literal
 * text and bytes, env files (secrets resolved now, at apply time only), a tracked run's backups, large
 * source files streamed from the controller's disk, and the batched writer's tar archives. Nothing here
 * holds a large payload whole: a source file is read a chunk at a time and hashed as it goes.
 */
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { HostKitError } from "../model/errors.ts";
import type { BackupId, ContentSource, Payload } from "../model/kind.ts";
import { renderEnvFile } from "../render/dotenv.ts";
import type { StdinStream } from "../targets/runner.ts";
import { openBackup, type BackupStore } from "./backups.ts";
import type { SecretResolver } from "./secrets.ts";
import { tarStream } from "./tar.ts";

const enc = new TextEncoder();
const CHUNK = 1 << 20;

export function bytesStream(bytes: Uint8Array): StdinStream {
  return {
    size: bytes.length,
    async *chunks() {
      for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
    },
  };
}

/** Streams after one another (sizes add up). */
export function concatStreams(parts: readonly StdinStream[]): StdinStream {
  return {
    size: parts.reduce((n, p) => n + p.size, 0),
    async *chunks() {
      for (const p of parts) yield* p.chunks();
    },
  };
}

/**
 * A file on the controller, streamed: its size must be the reference's, and its bytes must hash to the
 * reference's sha256. The LAST chunk is held back until the whole file has been hashed, so a file that
 * changed since it was planned never reaches the target complete: the stream throws instead, and the
 * command's stdin stays short (the fixed programs refuse a payload cut short).
 */
export function sourceStream(ref: ContentSource): StdinStream {
  const subject = `source ${ref.path}`;
  return verifiedFile(subject, ref.sha256, ref.size, () => {
    try {
      return openSync(ref.path, "r");
    } catch (e) {
      throw new HostKitError({ subject, message: `cannot be read at apply time: ${(e as Error).message}` });
    }
  });
}

/** A backup payload of a tracked run, streamed from its file and verified the same way. */
export function backupStream(store: BackupStore | undefined, ref: BackupId): StdinStream {
  const fd = openBackup(store, ref);
  const size = fstatSync(fd).size;
  return verifiedFile(`backup ${ref.id} of run ${ref.run}`, ref.sha256, size, () => fd, (got) => `has sha256 ${got}, not ${ref.sha256} as the down plan expects; refusing to restore it`);
}

function verifiedFile(subject: string, sha256: string, size: number, openFd: () => number, mismatch = (got: string) => `changed since the plan (sha256 ${got}, expected ${sha256}); it was not written`): StdinStream {
  return {
    size,
    async *chunks() {
      const fd = openFd();
      try {
        const now = fstatSync(fd).size;
        if (now !== size) throw new HostKitError({ subject, message: `is ${now} bytes, not ${size} as planned: it changed since the plan; refusing to write it` });
        const hash = createHash("sha256");
        let held: Uint8Array | undefined;
        let total = 0;
        for (;;) {
          const buf = new Uint8Array(CHUNK);
          const n = readSync(fd, buf, 0, CHUNK, null);
          if (n === 0) break;
          const chunk = buf.subarray(0, n);
          hash.update(chunk);
          total += n;
          if (held) yield held;
          held = chunk;
        }
        const got = hash.digest("hex");
        if (total !== size || got !== sha256) throw new HostKitError({ subject, message: mismatch(got) });
        if (held) yield held;
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** The stream of one payload. */
export function payloadStream(p: Payload, resolver: SecretResolver, backups?: BackupStore): StdinStream {
  if ("text" in p) return bytesStream(enc.encode(p.text));
  if ("base64" in p) return bytesStream(Buffer.from(p.base64, "base64"));
  if ("envFile" in p) return bytesStream(enc.encode(renderEnvFile(p.envFile, (ref) => resolver.resolve(ref))));
  if ("secretLine" in p) {
    const value = resolver.resolve(p.secretLine.secret);
    // a line break would start another record for the program reading lines (chpasswd: another user's password)
    if (/[\r\n\0]/.test(value)) throw new HostKitError({ subject: `secret ${p.secretLine.secret.$secret.env}`, message: "contains a line break or NUL: it cannot be passed as one line" });
    return bytesStream(enc.encode(`${p.secretLine.prefix}${value}\n`));
  }
  if ("backup" in p) return backupStream(backups, p.backup);
  if ("source" in p) return sourceStream(p.source);
  if ("archives" in p) {
    // Per group: the archive's length on one line, then the archive (scripts.ts WRITE_FILES).
    return concatStreams(
      p.archives.flatMap((group) => {
        const tar = tarStream(group.map((f) => ({ name: f.name, mode: f.mode, body: payloadStream(f.payload, resolver, backups) })));
        return [bytesStream(enc.encode(`${tar.size}\n`)), tar];
      }),
    );
  }
  throw new HostKitError({ message: `payload ${Object.keys(p)[0]} must be resolved before apply` });
}

/** A sized payload starts with its length on one line, so a write cut short is refused by the target. */
export function framedStream(s: StdinStream, sized: boolean | undefined): StdinStream {
  return coalesced(sized ? concatStreams([bytesStream(enc.encode(`${s.size}\n`)), s]) : s);
}

/**
 * Small chunks (tar headers, 40-byte files) joined into writes of up to COALESCE bytes: each write to a
 * pipe or channel costs a round of the event loop, so 20,000 tiny writes would cost more than the bytes.
 * A chunk is never held back across a producer's check: the last chunk of a source is yielded only after
 * its hash was verified, and the buffer is flushed only with what was yielded.
 */
const COALESCE = 256 * 1024;
export function coalesced(s: StdinStream): StdinStream {
  return {
    size: s.size,
    async *chunks() {
      let parts: Uint8Array[] = [];
      let n = 0;
      const take = () => {
        const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
        parts = [];
        n = 0;
        return out;
      };
      for await (const c of s.chunks()) {
        if (c.length >= COALESCE) {
          if (n) yield take();
          yield c;
          continue;
        }
        parts.push(c);
        n += c.length;
        if (n >= COALESCE) yield take();
      }
      if (n) yield take();
    },
  };
}
