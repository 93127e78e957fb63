/**
 * The batched programs themselves (scripts.ts WRITE_FILES, MAKE_DIRS, READ_PREVIOUS_PART), run for
 * real with the archives the applier streams: they refuse what the one-file programs refuse — a parent
 * that is a link, a target that is a link, an archive cut short — writing nothing outside the tree and
 * leaving no staging directory, and say which files landed.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeDirsOps, okPrefix, writeFilesOps, type WriteItem } from "../../src/kinds/batch-ops.ts";
import { READ_PREVIOUS_PART } from "../../src/kinds/scripts-batch.ts";
import { payloadStream, framedStream } from "../../src/apply/payload.ts";
import { SecretResolver } from "../../src/apply/secrets.ts";
import { localRunner } from "../../src/targets/local.ts";
import { streamBytes, text } from "../../src/targets/runner.ts";
import { removeTempDirs, tempDir } from "../plan/helpers.ts";

afterAll(removeTempDirs);
const runner = localRunner();

function world(): { R: string; O: string } {
  const base = tempDir();
  const R = join(base, "tree");
  const O = join(base, "outside");
  mkdirSync(join(R, "etc"), { recursive: true });
  mkdirSync(O);
  writeFileSync(join(O, "config.conf"), "outside\n");
  return { R, O };
}

/** Each file's content: 2,750 bytes (an archive member of 512 + 3,072 bytes). */
const items = (paths: string[]): WriteItem[] => paths.map((path, index) => ({ index, label: `write file ${path}`, path, payload: { text: `new ${path}\n`.repeat(250) }, mode: 0o644, owner: "root", group: "root" }));

async function writeAll(R: string, paths: string[], cut?: number) {
  const [op] = writeFilesOps(items(paths), R);
  let stdin = await streamBytes(framedStream(payloadStream(op!.stdin!, new SecretResolver()), false));
  if (cut !== undefined) stdin = stdin.subarray(0, stdin.length - cut);
  const res = await runner.exec(op!.argv, { stdin });
  return { ...res, done: okPrefix(res), err: text(res.stderr) };
}

const staging = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith(".hostkit-tmp")) : []);

describe("WRITE_FILES", () => {
  test("a parent that is a link is refused: nothing written through it; files before it in plan order land", async () => {
    const { R, O } = world();
    symlinkSync(O, join(R, "etc/app"));
    const r = await writeAll(R, ["/srv/a", "/etc/app/config.conf", "/srv/b"]);
    expect(r.code).toBe(4);
    expect(r.err).toContain("/etc/app is a symbolic link");
    expect(r.done).toBe(1);
    expect(readFileSync(join(O, "config.conf"), "utf8")).toBe("outside\n");
    expect(readdirSync(O)).toEqual(["config.conf"]);
    expect(existsSync(join(R, "srv/a"))).toBe(true);
    expect(existsSync(join(R, "srv/b"))).toBe(false); // after the refused one in plan order, though in another directory
    expect(staging(join(R, "srv"))).toEqual([]);
  });

  test("a target that is a link is refused and left a link", async () => {
    const { R, O } = world();
    mkdirSync(join(R, "srv"));
    symlinkSync(join(O, "config.conf"), join(R, "srv/x"));
    const r = await writeAll(R, ["/srv/x"]);
    expect(r.code).toBe(4);
    expect(r.err).toContain("refusing /srv/x: it is a symbolic link");
    expect(lstatSync(join(R, "srv/x")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(R, "srv/x"))).toBe(join(O, "config.conf"));
    expect(readFileSync(join(O, "config.conf"), "utf8")).toBe("outside\n");
  });

  test("an archive cut short (the applier died mid-stream) is refused: old content kept, no staging left", async () => {
    // Bytes cut off the end: into the last file's data; exactly its whole member (a cut between files);
    // into the middle file's data. (The archive ends with 1,024 bytes of zero blocks.)
    for (const cut of [1024 + 1000, 1024 + 3584, 1024 + 3584 + 1000]) {
      const { R } = world();
      mkdirSync(join(R, "srv"));
      for (const n of ["a", "b", "c"]) writeFileSync(join(R, "srv", n), "old\n");
      const r = await writeAll(R, ["/srv/a", "/srv/b", "/srv/c"], cut);
      expect({ cut, code: r.code, done: r.done }).toEqual({ cut, code: 1, done: 0 });
      expect(r.err).toContain("payload cut short");
      for (const n of ["a", "b", "c"]) expect(readFileSync(join(R, "srv", n), "utf8")).toBe("old\n");
      expect(staging(join(R, "srv"))).toEqual([]);
    }
    // Cut only in the closing zero blocks: every file arrived whole, so all are written.
    const { R } = world();
    const r = await writeAll(R, ["/srv/a", "/srv/b", "/srv/c"], 100);
    expect({ code: r.code, done: r.done }).toEqual({ code: 0, done: 3 });
    expect(readFileSync(join(R, "srv/c"), "utf8")).toBe("new /srv/c\n".repeat(250));
  });
});

describe("MAKE_DIRS", () => {
  test("a parent that is a link is refused; the directories before it are made", async () => {
    const { R, O } = world();
    symlinkSync(O, join(R, "etc/app"));
    const [op] = makeDirsOps(["/srv/ok", "/etc/app/sub", "/srv/later"].map((path, index) => ({ index, path, mode: 0o750, owner: "root", group: "root" })), R);
    const r = await runner.exec(op!.argv);
    expect(r.code).toBe(4);
    expect(text(r.stderr)).toContain("/etc/app is a symbolic link");
    expect(op!.completed!(r)).toBe(1);
    expect(readdirSync(O)).toEqual(["config.conf"]);
    expect((lstatSync(join(R, "srv/ok")).mode & 0o777).toString(8)).toBe("750");
    expect(existsSync(join(R, "srv/later"))).toBe(false);
  });
});

describe("READ_PREVIOUS_PART", () => {
  test("reads a part of a file, and does not read through a link", async () => {
    const { R, O } = world();
    mkdirSync(join(R, "srv"));
    writeFileSync(join(R, "srv/f"), "0123456789");
    const part = await runner.exec(["sh", "-c", READ_PREVIOUS_PART, "hostkit-backup", "/srv/f", R, "root", "0", "3", "4"]);
    expect(part.code).toBe(0);
    expect(text(part.stdout).split("\n")[1]).toBe("3456");
    symlinkSync(O, join(R, "etc/app"));
    const r = await runner.exec(["sh", "-c", READ_PREVIOUS_PART, "hostkit-backup", "/etc/app/config.conf", R, "root", "0", "0", "100"]);
    expect(r.code).toBe(4);
    expect(text(r.stdout)).not.toContain("outside");
  });
});
