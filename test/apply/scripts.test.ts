/**
 * The fixed sh programs that change a target, run for real: the atomic write refuses a payload cut
 * short (what an applier killed mid-write leaves its writer with), offline trees resolve owners through
 * their own passwd/group (root without one), and offline accounts get missing supplementary groups.
 * The symlink refusals of the same programs: test/apply/scripts-paths.test.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADD_ACCOUNT_OFFLINE, MAKE_DIR, WRITE_FILE } from "../../src/kinds/scripts.ts";
import { localRunner } from "../../src/targets/local.ts";
import { text } from "../../src/targets/runner.ts";
import { removeTempDirs, tempDir } from "../plan/helpers.ts";

afterAll(removeTempDirs);

const runner = localRunner();
const sized = (body: Uint8Array | string) => Buffer.concat([Buffer.from(`${Buffer.byteLength(body)}\n`), Buffer.from(body)]);
const write = (dest: string, stdin: Uint8Array, root = "", mode = "640") => runner.exec(["sh", "-c", WRITE_FILE, "hostkit-write", dest, mode, "root", "root", root], { stdin });

describe("WRITE_FILE", () => {
  test("writes exactly the payload with the mode, via a temp file that does not survive", async () => {
    const dir = tempDir();
    const bytes = new Uint8Array([0, 1, 0xff, 10, 0x80]);
    const r = await write(join(dir, "a/b/f.bin"), sized(bytes));
    expect(text(r.stderr)).toBe("");
    expect(r.code).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, "a/b/f.bin")), Buffer.from(bytes))).toBe(0);
    expect((statSync(join(dir, "a/b/f.bin")).mode & 0o777).toString(8)).toBe("640");
    expect(readdirSync(join(dir, "a/b"))).toEqual(["f.bin"]);
  });

  test("a payload cut short is refused: the old content stays, no temp file is left", async () => {
    const dir = tempDir();
    const dest = join(dir, "f.txt");
    writeFileSync(dest, "old content\n");
    const full = sized("new content that is longer\n");
    const r = await write(dest, full.subarray(0, full.length - 5));
    expect(r.code).toBe(1);
    expect(text(r.stderr)).toContain(`payload cut short: got 22 of 27 bytes; ${dest} left unchanged`);
    expect(readFileSync(dest, "utf8")).toBe("old content\n");
    expect(readdirSync(dir)).toEqual(["f.txt"]);
  });

  test("no length header (or an empty stdin) is refused", async () => {
    const dir = tempDir();
    const dest = join(dir, "f.txt");
    expect((await write(dest, Buffer.from("hello\n"))).code).toBe(1);
    expect((await runner.exec(["sh", "-c", WRITE_FILE, "hostkit-write", dest, "644", "root", "root", ""])).code).not.toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("leftover temp files of killed writes beside the target are removed by the next write there", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".hostkit-tmp.AbC123"), "half a file");
    writeFileSync(join(dir, ".hostkit-tmp-not-ours"), "keep");
    expect((await write(join(dir, "f.txt"), sized("x\n"))).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([".hostkit-tmp-not-ours", "f.txt"]);
  });

  test("offline tree: root needs no passwd; other names resolve in the tree, unknown ones are refused", async () => {
    const root = tempDir();
    expect((await write("/etc/x.conf", sized("x\n"), root)).code).toBe(0);
    expect(readFileSync(join(root, "etc/x.conf"), "utf8")).toBe("x\n");
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:4242:4343::/:/bin/sh\n");
    writeFileSync(join(root, "etc/group"), "root:x:0:\napp:x:4343:\n");
    const ok = await runner.exec(["sh", "-c", MAKE_DIR, "hostkit-mkdir", "/srv/app", "750", "app", "app", root]);
    expect(ok.code).toBe(0);
    expect({ uid: statSync(join(root, "srv/app")).uid, gid: statSync(join(root, "srv/app")).gid }).toEqual({ uid: 4242, gid: 4343 });
    const bad = await runner.exec(["sh", "-c", MAKE_DIR, "hostkit-mkdir", "/srv/nobody", "750", "ghost", "app", root]);
    expect(bad.code).toBe(1);
    expect(text(bad.stderr)).toContain(`unknown user ghost in ${root}/etc/passwd`);
  });
});

test("ADD_ACCOUNT_OFFLINE: a system account, its group, and supplementary groups the tree lacks", async () => {
  const root = tempDir();
  const r = await runner.exec(["sh", "-c", ADD_ACCOUNT_OFFLINE, "hostkit-useradd", root, "relay", "1", "/var/lib/relay", "/usr/sbin/nologin", "", "systemd-journal,adm"]);
  expect(text(r.stderr)).toBe("");
  const passwd = readFileSync(join(root, "etc/passwd"), "utf8");
  const group = readFileSync(join(root, "etc/group"), "utf8");
  expect(passwd).toMatch(/^relay:x:999:999::\/var\/lib\/relay:\/usr\/sbin\/nologin$/m);
  expect(group).toMatch(/^relay:x:999:$/m);
  expect(group).toMatch(/^systemd-journal:x:\d{3}:relay$/m);
  expect(group).toMatch(/^adm:x:\d{3}:relay$/m);
  // The distribution's modes: passwd/group 0644; shadow/gshadow never world-readable (0600 without a shadow group).
  const modeOf = (f: string) => statSync(join(root, "etc", f)).mode & 0o7777;
  expect(["passwd", "group", "shadow", "gshadow"].map(modeOf)).toEqual([0o644, 0o644, 0o600, 0o600]);
});

test("ADD_ACCOUNT_OFFLINE: with a shadow group in the tree, shadow and gshadow are root:shadow 0640", async () => {
  const root = tempDir();
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc/group"), "root:x:0:\nshadow:x:42:\n");
  writeFileSync(join(root, "etc/shadow"), "", { mode: 0o644 });
  const r = await runner.exec(["sh", "-c", ADD_ACCOUNT_OFFLINE, "hostkit-useradd", root, "relay", "1", "", "/usr/sbin/nologin", "", ""]);
  expect(text(r.stderr)).toBe("");
  for (const f of ["shadow", "gshadow"]) {
    const st = statSync(join(root, "etc", f));
    expect({ f, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }).toEqual({ f, mode: 0o640, uid: 0, gid: 42 });
  }
});
