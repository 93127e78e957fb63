/**
 * The fixed sh programs never write, chown, chmod, read or delete through a symbolic link: run for
 * real, as root, against offline trees (ROOT set) and live paths (ROOT empty), with links pointing
 * at an "outside" directory whose snapshot must not change. Through the binary: test/security/.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADD_ACCOUNT_OFFLINE, MAKE_DIR, READ_PREVIOUS, REMOVE_PATH, SAFE_SYSTEMCTL, WRITE_FILE } from "../../src/kinds/scripts.ts";
import { localRunner } from "../../src/targets/local.ts";
import { text } from "../../src/targets/runner.ts";
import { snapshot } from "../down/helpers.ts";
import { removeTempDirs, tempDir } from "../plan/helpers.ts";

afterAll(removeTempDirs);

const runner = localRunner();
const sized = (body: string) => Buffer.concat([Buffer.from(`${Buffer.byteLength(body)}\n`), Buffer.from(body)]);
const sh = (script: string, name: string, args: string[], stdin?: Uint8Array) => runner.exec(["sh", "-c", script, name, ...args], stdin ? { stdin } : {});
const groupOf = (owner = "root") => (owner === "nobody" ? "nogroup" : owner);
const write = (path: string, root: string, o: { owner?: string; trust?: boolean; mode?: string } = {}) =>
  sh(WRITE_FILE, "hostkit-write", [path, o.mode ?? "600", o.owner ?? "root", groupOf(o.owner), root, o.trust ? "1" : "0"], sized("PWNED\n"));
const mkdir = (path: string, root: string, o: { owner?: string; trust?: boolean } = {}) => sh(MAKE_DIR, "hostkit-mkdir", [path, "777", o.owner ?? "root", groupOf(o.owner), root, o.trust ? "1" : "0"]);

/** A tree R and an outside directory O with a file; returns both. */
function world(): { R: string; O: string } {
  const base = tempDir();
  const R = join(base, "tree");
  const O = join(base, "outside");
  mkdirSync(join(R, "etc"), { recursive: true });
  mkdirSync(O, { mode: 0o755 });
  writeFileSync(join(O, "config.conf"), "outside\n", { mode: 0o644 });
  return { R, O };
}

describe("offline tree: a symlinked parent is refused, the outside is untouched", () => {
  test("WRITE_FILE through R/etc/app -> O", async () => {
    const { R, O } = world();
    symlinkSync(O, join(R, "etc/app"));
    const before = snapshot(O);
    const r = await write("/etc/app/config.conf", R);
    expect(r.code).toBe(4);
    expect(text(r.stderr)).toContain("refusing /etc/app/config.conf: /etc/app is a symbolic link");
    expect(snapshot(O)).toEqual(before);
  });

  test("WRITE_FILE through a relative link climbing out (R/etc/app -> ../../outside)", async () => {
    const { R, O } = world();
    symlinkSync("../../outside", join(R, "etc/app"));
    const before = snapshot(O);
    expect((await write("/etc/app/new.conf", R)).code).toBe(4);
    expect(snapshot(O)).toEqual(before);
  });

  test("WRITE_FILE onto a file that is a link: refused, neither written through nor replaced", async () => {
    const { R, O } = world();
    symlinkSync(join(O, "config.conf"), join(R, "etc/app.conf"));
    const before = snapshot(O);
    const r = await write("/etc/app.conf", R);
    expect(r.code).toBe(4);
    expect(text(r.stderr)).toContain("refusing /etc/app.conf: it is a symbolic link");
    expect(snapshot(O)).toEqual(before);
    expect(lstatSync(join(R, "etc/app.conf")).isSymbolicLink()).toBe(true);
  });

  test("MAKE_DIR on a directory that is a link: its target is neither chowned nor chmodded", async () => {
    const { R, O } = world();
    symlinkSync(O, join(R, "etc/app"));
    const before = snapshot(join(O, ".."));
    const r = await mkdir("/etc/app", R, { owner: "root" });
    expect(r.code).toBe(4);
    expect(text(r.stderr)).toContain("refusing /etc/app: it is a symbolic link, not a directory");
    expect(snapshot(join(O, ".."))).toEqual(before);
    expect(statSync(O).mode & 0o777).toBe(0o755);
  });

  test("MAKE_DIR below a link (R/var/run -> /run-like dir) creates nothing there", async () => {
    const { R, O } = world();
    mkdirSync(join(R, "var"));
    symlinkSync(O, join(R, "var/run"));
    const r = await mkdir("/var/run/app/sub", R);
    expect(r.code).toBe(4);
    expect(text(r.stderr)).toContain("/var/run is a symbolic link");
    expect(readdirSync(O)).toEqual(["config.conf"]);
  });

  test("REMOVE_PATH through a parent swapped for a link deletes nothing outside", async () => {
    const { R, O } = world();
    symlinkSync(O, join(R, "etc/app"));
    const r = await sh(REMOVE_PATH, "hostkit-remove", ["/etc/app/config.conf", "file", R, "root", "0"]);
    expect(r.code).toBe(4);
    expect(readFileSync(join(O, "config.conf"), "utf8")).toBe("outside\n");
  });

  test("READ_PREVIOUS (backups) does not read through a link", async () => {
    const { R, O } = world();
    symlinkSync(O, join(R, "etc/app"));
    const r = await sh(READ_PREVIOUS, "hostkit-backup", ["/etc/app/config.conf", R, "root", "0"]);
    expect(r.code).toBe(4);
    expect(text(r.stdout)).not.toContain("outside");
  });

  test("SAFE_SYSTEMCTL refuses a linked unit directory and linked .wants directories", async () => {
    const { R, O } = world();
    mkdirSync(join(R, "etc/systemd"));
    symlinkSync(O, join(R, "etc/systemd/system"));
    const r = await sh(SAFE_SYSTEMCTL, "hostkit-systemctl", [R, "enable", "--", "x.service"]);
    expect(r.code).toBe(4);
    expect(text(r.stderr)).toContain("/etc/systemd/system is a symbolic link");
    const { R: R2, O: O2 } = world();
    mkdirSync(join(R2, "etc/systemd/system"), { recursive: true });
    symlinkSync(O2, join(R2, "etc/systemd/system/multi-user.target.wants"));
    const r2 = await sh(SAFE_SYSTEMCTL, "hostkit-systemctl", [R2, "enable", "--", "x.service"]);
    expect(r2.code).toBe(4);
    expect(text(r2.stderr)).toContain("/etc/systemd/system/multi-user.target.wants is a symbolic link");
    expect(readdirSync(O2)).toEqual(["config.conf"]);
  });

  test("ADD_ACCOUNT_OFFLINE refuses a linked etc/passwd (never appends to the host's)", async () => {
    const { R, O } = world();
    symlinkSync(join(O, "config.conf"), join(R, "etc/passwd"));
    const r = await sh(ADD_ACCOUNT_OFFLINE, "hostkit-useradd", [R, "evil", "1", "", "/bin/sh", "", ""]);
    expect(r.code).toBe(4);
    expect(readFileSync(join(O, "config.conf"), "utf8")).toBe("outside\n");
    const { R: R2, O: O2 } = world();
    const { rmSync } = await import("node:fs");
    rmSync(join(R2, "etc"), { recursive: true });
    symlinkSync(O2, join(R2, "etc"));
    expect((await sh(ADD_ACCOUNT_OFFLINE, "hostkit-useradd", [R2, "evil", "1", "", "/bin/sh", "", ""])).code).toBe(4);
    expect(readdirSync(O2)).toEqual(["config.conf"]);
  });

  test("'..' and '.' components are refused by the program itself (whatever a plan says)", async () => {
    const { R, O } = world();
    const r = await write("/etc/../../outside/x", R);
    expect(r.code).toBe(4);
    expect(text(r.stderr)).toContain("'..'");
    expect(existsSync(join(O, "x"))).toBe(false);
  });

  test("missing parents are created one by one, 0755, and the write lands inside the tree", async () => {
    const { R } = world();
    const r = await write("/srv/a/b/c.conf", R, { mode: "640" });
    expect(text(r.stderr)).toBe("");
    expect(readFileSync(join(R, "srv/a/b/c.conf"), "utf8")).toBe("PWNED\n");
    expect(statSync(join(R, "srv/a")).mode & 0o777).toBe(0o755);
    expect(statSync(join(R, "srv/a/b/c.conf")).mode & 0o777).toBe(0o640);
  });
});

describe("live paths (no root): links and foreign owners", () => {
  test("a symlinked parent is refused unless the declaration opts in", async () => {
    const { O } = world();
    const dir = tempDir();
    symlinkSync(O, join(dir, "data"));
    const before = snapshot(O);
    const r = await write(join(dir, "data/config.conf"), "");
    expect(r.code).toBe(4);
    expect(text(r.stderr)).toContain(`${dir}/data is a symbolic link`);
    expect(snapshot(O)).toEqual(before);
    const trusted = await write(join(dir, "data/new.conf"), "", { trust: true });
    expect(text(trusted.stderr)).toBe("");
    expect(readFileSync(join(O, "new.conf"), "utf8")).toBe("PWNED\n");
  });

  test("a parent owned by another non-root user is refused; by the declared owner it is fine", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "app"));
    chownSync(join(dir, "app"), 65534, 65534);
    const r = await write(join(dir, "app/config.conf"), "");
    expect(r.code).toBe(4);
    expect(text(r.stderr)).toContain(`${dir}/app is owned by uid 65534 (neither root nor the declared owner)`);
    expect(existsSync(join(dir, "app/config.conf"))).toBe(false);
    const asOwner = await write(join(dir, "app/config.conf"), "", { owner: "nobody" });
    expect(text(asOwner.stderr)).toBe("");
    expect(statSync(join(dir, "app/config.conf")).uid).toBe(65534);
    const dirAsRoot = await mkdir(join(dir, "app/sub"), "");
    expect(dirAsRoot.code).toBe(4);
    expect((await mkdir(join(dir, "app/sub"), "", { trust: true })).code).toBe(0);
  });

  test("a service user's subdirectory swapped for a link to a root-only dir: MAKE_DIR and WRITE_FILE refuse", async () => {
    const dir = tempDir();
    const secret = join(dir, "rootonly");
    mkdirSync(secret, { mode: 0o700 });
    writeFileSync(join(secret, "shadow"), "root-only\n", { mode: 0o600 });
    mkdirSync(join(dir, "app"));
    chownSync(join(dir, "app"), 65534, 65534);
    symlinkSync(secret, join(dir, "app/data"));
    const before = snapshot(secret);
    expect((await mkdir(join(dir, "app/data"), "", { owner: "nobody" })).code).toBe(4);
    expect((await write(join(dir, "app/data/shadow"), "", { owner: "nobody" })).code).toBe(4);
    expect((await sh(REMOVE_PATH, "hostkit-remove", [join(dir, "app/data/shadow"), "file", "", "nobody", "0"])).code).toBe(4);
    expect(snapshot(secret)).toEqual(before);
    expect(statSync(secret).uid).toBe(0);
  });
});
