/** `file`: recorded probe output in → decision out, and the ops it plans (argv as data). */
import { describe, expect, test } from "bun:test";
import { file, sha256 } from "../../src/kinds/file.ts";
import type { Change } from "../../src/model/plan.ts";
import type { KindChange } from "../../src/model/kind.ts";
import type { FileRes } from "../../src/model/resource.ts";
import { REMOVE_PATH, WRITE_FILE } from "../../src/kinds/scripts.ts";
import { decide } from "./fixtures.ts";

describe("file: probe fixtures → decision", () => {
  test("missing → create, with what it will be", () => {
    const { decision } = decide("file-missing");
    expect(decision).toMatchObject({ action: "create", reason: "file does not exist", before: { exists: false }, after: { sha256: sha256("a=1\n"), mode: 0o644, owner: "root", group: "root" } });
  });

  test("same bytes and metadata → noop with a reason", () => {
    const { decision } = decide("file-match");
    expect(decision.action).toBe("noop");
    expect(decision.reason).toBe("file matches");
    expect(decision.before).toMatchObject({ sha256: sha256("a=1\n"), content: "a=1\n", mode: 0o644, owner: "root", group: "root" });
  });

  test("hand-edited content → update, the old content is kept for the diff and down plans", () => {
    const { decision } = decide("file-content-differs");
    expect(decision.action).toBe("update");
    expect(decision.reason).toBe("content differs");
    expect(decision.before).toMatchObject({ content: "a=1\nhand edit\n", sha256: sha256("a=1\nhand edit\n") });
    expect(decision.after).toMatchObject({ sha256: sha256("a=1\n") });
  });

  test("mode, owner and group each show up, owner names from the offline tree's own passwd", () => {
    const { decision } = decide("file-meta-differs");
    expect(decision.action).toBe("update");
    expect(decision.reason).toBe("mode 0644 → 0640, owner root → app, group root → app");
  });

  test("a directory or a symlink where the file goes is not the file", () => {
    expect(decide("file-is-directory").decision).toMatchObject({ action: "update", reason: "is a directory, not a file" });
    expect(decide("file-symlink").decision).toMatchObject({ action: "update", reason: "is a symbolic link, not a file" });
  });

  test("non-UTF-8 bytes compare by hash and come back as base64", () => {
    const { decision, fact } = decide("file-binary-match");
    expect(decision.action).toBe("noop");
    expect((fact as { contentBase64?: string }).contentBase64).toBe(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x0a]).toString("base64"));
  });

  test("a name with a newline (sha256sum escapes the line with a backslash) still matches", () => {
    const { decision, fx } = decide("file-newline-name");
    expect(fx.raw.startsWith("regular file")).toBe(true);
    expect(decision.action).toBe("noop");
  });

  test("on a live host, owner names come from stat's own lookup", () => {
    const { decision } = decide("file-live-match");
    expect(decision).toMatchObject({ action: "noop", before: { owner: "root", group: "root", mode: 0o600 } });
  });
});

describe("file: ops", () => {
  const r: FileRes = { id: "/etc/a b", source: { file: "x.ts", line: 1 }, type: "file", path: "/etc/a b", content: "hi\n", owner: "app", group: "app", mode: 0o640, rollback: "delete" };
  const change = (action: Change["action"]): KindChange<FileRes> => ({ key: `file:${r.path}`, type: "file", id: r.id, action, reason: "", resource: r });

  test("create writes through the fixed atomic script; the path is an argument and the content is stdin", () => {
    const [op, ...rest] = file.ops(change("create"), { root: "/tmp/img" });
    expect(rest).toEqual([]);
    // The path inside the tree and the tree apart: the program walks one beneath the other, never following a link.
    expect(op!.argv).toEqual(["sh", "-c", WRITE_FILE, "hostkit-write", "/etc/a b", "640", "app", "app", "/tmp/img", "0"]);
    expect(op!.stdin).toEqual({ text: "hi\n" });
    expect(op!.sizedStdin).toBe(true);
    expect(WRITE_FILE).not.toContain("hi\n");
  });

  test("delete removes exactly that path (through the fixed program that walks it without following links)", () => {
    expect(file.ops(change("delete"), {}).map((o) => o.argv)).toEqual([["sh", "-c", REMOVE_PATH, "hostkit-remove", "/etc/a b", "file", "", "app", "0"]]);
  });
});
