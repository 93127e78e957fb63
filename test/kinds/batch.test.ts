/**
 * The probe contract stays honest when batched: for real paths on this machine, the three bulk
 * commands (one stat, one sha256sum, one head for ALL paths) split back into exactly what each path's
 * own probe commands print, and parse to the same facts.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONTENT_LIMIT, fileManyProbe, fileProbe, parseFileFact, splitFileMany } from "../../src/kinds/file.ts";
import { splitStatMany, statManyProbe, statProbe } from "../../src/kinds/stat.ts";
import { parseFacts } from "../../src/plan/facts.ts";
import { localRunner } from "../../src/targets/local.ts";
import { batchScript, parseBatch } from "../../src/targets/shell.ts";

const dir = mkdtempSync(join(tmpdir(), "hostkit-batch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const runner = localRunner();

const p = (name: string) => join(dir, name);
const files: Record<string, string | Uint8Array> = {
  "plain.txt": "hello\n",
  "empty": "",
  "binary.bin": new Uint8Array([0, 0xff, 0xfe, 10, 0x80]),
  // A file whose bytes look like head's frame for the next path.
  "fake-header.txt": `x\n==> ${p("next.txt")} <==\nnot this\n`,
  "next.txt": "the real next\n",
  "new\nline 'q' $(x) `y`.txt": "hostile name\n",
  "-rf": "dash\n",
  "big.bin": new Uint8Array(CONTENT_LIMIT + 10).fill(0x61),
};
for (const [name, content] of Object.entries(files)) writeFileSync(p(name), content);
mkdirSync(p("a-directory"));
symlinkSync(p("plain.txt"), p("link-to-plain"));
symlinkSync(p("nowhere"), p("dangling"));
const paths = [...Object.keys(files), "a-directory", "link-to-plain", "dangling", "missing", "plain.txt"].map(p);

async function oneTrip(cmds: string[][]) {
  const res = await runner.exec(["sh", "-s"], { stdin: batchScript(cmds) });
  return parseBatch(res.stdout);
}

const facts = parseFacts([]);

test("file probes: bulk split == each path's own stat, sha256sum and head", async () => {
  const bulk = splitFileMany(paths, await oneTrip(fileManyProbe(paths)));
  const single = await oneTrip(paths.flatMap((x) => fileProbe(x)));
  expect(bulk.length).toBe(paths.length);
  paths.forEach((path, i) => {
    const [st, sum, head] = single.slice(i * 3, i * 3 + 3);
    const [bst, bsum, bhead] = bulk[i]!;
    expect({ path, stat: bst!.code === 0 ? Buffer.from(bst!.stdout).toString() : "missing" }).toEqual({ path, stat: st!.code === 0 ? Buffer.from(st!.stdout).toString() : "missing" });
    expect({ path, ok: bsum!.code === 0 }).toEqual({ path, ok: sum!.code === 0 });
    // The content a plan keeps is exactly what head printed for that one path.
    if (bhead!.code === 0) expect({ path, head: Buffer.from(bhead!.stdout).equals(Buffer.from(head!.stdout)) }).toEqual({ path, head: true });
    expect({ path, fact: parseFileFact(bulk[i]!, facts, {}) }).toEqual({ path, fact: parseFileFact([st!, sum!, head!], facts, {}) });
  });
  // Regular files did get their content (not just "unknown"), including the one faking a frame.
  for (const name of ["plain.txt", "empty", "binary.bin", "fake-header.txt", "next.txt", "new\nline 'q' $(x) `y`.txt", "-rf"]) {
    expect({ name, code: bulk[paths.indexOf(p(name))]![2]!.code }).toEqual({ name, code: 0 });
  }
  expect(parseFileFact(bulk[paths.indexOf(p("next.txt"))]!, facts, {}).content).toBe("the real next\n");
  expect(parseFileFact(bulk[paths.indexOf(p("big.bin"))]!, facts, {}).content).toBeUndefined(); // over the limit: hash only
});

test("directory probes: one stat for all == each path's own stat", async () => {
  const bulk = splitStatMany(paths, (await oneTrip([statManyProbe(paths)]))[0]);
  const single = await oneTrip(paths.map(statProbe));
  paths.forEach((path, i) => expect({ path, code: bulk[i]!.code, out: Buffer.from(bulk[i]!.stdout).toString() }).toEqual({ path, code: single[i]!.code === 0 ? 0 : 1, out: Buffer.from(single[i]!.stdout).toString() }));
});

test("a bulk probe is three processes whatever the number of paths", () => {
  expect(fileManyProbe(paths).length).toBe(3);
  expect(fileManyProbe(paths.slice(0, 1)).length).toBe(3);
});
