/**
 * A minimal tar (ustar, with pax records for long names and huge sizes) writer for the batched file
 * writer: regular files only, named by plain file names, streamed (headers are built here, bodies come
 * from their own streams). Each member carries its declared mode (tar -p applies it); owner and times
 * do not matter: the program extracting it sets the owner itself and tar is told not to restore times.
 */
import type { StdinStream } from "../targets/runner.ts";

const BLOCK = 512;
const enc = new TextEncoder();
const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

function header(name: Uint8Array, size: number, type: string, mode = 0o600): Uint8Array {
  const h = new Uint8Array(BLOCK);
  h.set(name.subarray(0, 100), 0);
  const put = (s: string, at: number) => h.set(enc.encode(s), at);
  put(octal(mode & 0o7777, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(size <= 0o77777777777 ? size : 0, 12), 124);
  put(octal(0, 12), 136);
  put("        ", 148);
  put(type, 156);
  put("ustar\0" + "00", 257);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}

/** A pax record "LEN key=value\n", LEN counting itself. */
function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const body = value.length + key.length + 3; // ' ' '=' '\n'
  let len = body + String(body).length;
  if (String(len).length !== String(body).length) len = body + String(len).length;
  const rec = new Uint8Array(len);
  rec.set(enc.encode(`${len} ${key}=`), 0);
  rec.set(value, len - value.length - 1);
  rec[len - 1] = 10;
  return rec;
}

/** The header blocks of one member (a pax header first when the name or size does not fit ustar). */
function memberHead(name: string, size: number, mode: number): Uint8Array {
  const n = enc.encode(name);
  const records: Uint8Array[] = [];
  if (n.length > 100) records.push(paxRecord("path", n));
  if (size > 0o77777777777) records.push(paxRecord("size", enc.encode(String(size))));
  const main = header(n.length > 100 ? enc.encode("hostkit-long-name") : n, size, "0", mode);
  if (!records.length) return main;
  const paxLen = records.reduce((a, r) => a + r.length, 0);
  const out = new Uint8Array(BLOCK + paxLen + pad(paxLen) + BLOCK);
  out.set(header(enc.encode("PaxHeader"), paxLen, "x"), 0);
  let at = BLOCK;
  for (const r of records) {
    out.set(r, at);
    at += r.length;
  }
  out.set(main, BLOCK + paxLen + pad(paxLen));
  return out;
}

/** A tar archive of `files` (in order), ending with the two zero blocks. */
export function tarStream(files: readonly { name: string; body: StdinStream; mode?: number }[]): StdinStream {
  const heads = files.map((f) => memberHead(f.name, f.body.size, f.mode ?? 0o600));
  const size = files.reduce((n, f, i) => n + heads[i]!.length + f.body.size + pad(f.body.size), 0) + 2 * BLOCK;
  return {
    size,
    async *chunks() {
      for (const [i, f] of files.entries()) {
        yield heads[i]!;
        let got = 0;
        for await (const c of f.body.chunks()) {
          got += c.length;
          yield c;
        }
        if (got !== f.body.size) throw new Error(`${f.name}: payload gave ${got} of ${f.body.size} bytes`);
        if (pad(got)) yield new Uint8Array(pad(got));
      }
      yield new Uint8Array(2 * BLOCK);
    },
  };
}
