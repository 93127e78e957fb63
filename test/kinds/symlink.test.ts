/**
 * The `symlink` kind (one kind file + one registry line + its DSL method), through the CLI on an
 * offline root: created, converged, repointed, rolled back to its previous target by `down --last`,
 * and never made through a linked parent or over a directory.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { cleanup, hk, infra, ok, tempDir } from "../down/helpers.ts";
import { symlink } from "../../src/kinds/symlink.ts";

afterAll(cleanup);

const body = (target: string) => `export default project("ln", (p) => {
  p.runs({ root: "runs", backups: "backups" });
  p.directory("/opt/app");
  p.symlink("/opt/app/current", { target: ${JSON.stringify(target)} });
});`;

describe("symlink on an offline root", () => {
  test("create, no changes, repoint, down --last points back; the plan shows the targets", async () => {
    const dir = tempDir("ln");
    const root = join(dir, "root");
    infra(dir, "v1.ts", body("releases/1"));
    infra(dir, "v2.ts", body("releases/2"));
    const first = await ok(["apply", "v1.ts", "--root", root, "--confirm", "--track"], { cwd: dir });
    expect(first.stdout).toContain("+ symlink:/opt/app/current  link does not exist\n    → releases/1");
    expect(readlinkSync(join(root, "opt/app/current"))).toBe("releases/1");
    expect((await hk(["plan", "v1.ts", "--root", root, "--detailed-exitcode"], { cwd: dir })).code).toBe(0);
    const two = await ok(["apply", "v2.ts", "--root", root, "--confirm", "--track"], { cwd: dir });
    expect(two.stdout).toContain("~ symlink:/opt/app/current  points at releases/1, not releases/2\n    → releases/2 (was → releases/1)");
    expect(readlinkSync(join(root, "opt/app/current"))).toBe("releases/2");
    const d = await ok(["down", "v2.ts", "--root", root, "--last", "--out", "down.json"], { cwd: dir });
    expect(d.stdout).toContain("~ symlink:/opt/app/current  point back at releases/1");
    await ok(["apply", "--plan", "down.json", "--root", root, "--confirm"], { cwd: dir });
    expect(readlinkSync(join(root, "opt/app/current"))).toBe("releases/1");
  });

  test("a directory at the path is refused (never written into); a linked parent is refused at plan time", async () => {
    const dir = tempDir("ln-bad");
    const root = join(dir, "root");
    mkdirSync(join(root, "opt/app/current"), { recursive: true });
    infra(dir, "v1.ts", body("releases/1"));
    // Refused by the plan (nothing applied), naming the resource, its file:line and the host.
    const r = await hk(["apply", "v1.ts", "--root", root, "--confirm"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: v1.ts:5: symlink:/opt/app/current: a directory exists at /opt/app/current, where a symbolic link is declared: HostKit does not replace it (--root ${root})\n`);
    expect(lstatSync(join(root, "opt/app/current")).isDirectory()).toBe(true);
    expect(existsSync(join(root, "var/lib/hostkit"))).toBe(false);
    const root2 = join(dir, "root2");
    const outside = join(dir, "outside");
    mkdirSync(join(root2, "opt"), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, join(root2, "opt/app"));
    const p = await hk(["plan", "v1.ts", "--root", root2], { cwd: dir });
    expect(p.code).toBe(1);
    expect(p.stderr).toContain("/opt/app is a symbolic link");
    expect(existsSync(join(outside, "current"))).toBe(false);
  });

  test("a hostile target (newline) is one load-time error with file:line", async () => {
    const dir = tempDir("ln-hostile");
    infra(dir, "bad.ts", body("a\nb"));
    const r = await hk(["dump", "bad.ts"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: bad\.ts:5: project "ln" › symlink "\/opt\/app\/current" › target: must not contain control characters/);
  });
});

test("its probe reads the link itself for many links in one command", () => {
  const rs = ["/a", "/b", "/c"].map((path) => ({ type: "symlink" as const, id: path, path, target: "x", rollback: "delete" as const, source: { file: "x.ts", line: 1 } }));
  const b = symlink.probeBatch!(rs, {});
  expect(b.cmds).toEqual([["find", "/a", "/b", "/c", "-maxdepth", "0", "-printf", "%p\\0%y\\0%l\\0"]]);
  const enc = new TextEncoder();
  const [a, bb, c] = b.split([{ code: 1, stdout: enc.encode("/a\0l\0t1\0/c\0f\0\0"), stderr: new Uint8Array() }]);
  expect(symlink.parse(rs[0]!, a!, {} as never, {})).toEqual({ exists: true, fileType: "l", target: "t1" });
  expect(symlink.parse(rs[1]!, bb!, {} as never, {})).toEqual({ exists: false });
  expect(symlink.parse(rs[2]!, c!, {} as never, {})).toEqual({ exists: true, fileType: "f" });
});
