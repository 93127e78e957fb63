/** `directory`: recorded probe output in → decision out, and its ops. */
import { expect, test } from "bun:test";
import { directory } from "../../src/kinds/directory.ts";
import { MAKE_DIR, REMOVE_PATH } from "../../src/kinds/scripts.ts";
import type { Directory } from "../../src/model/resource.ts";
import { decide } from "./fixtures.ts";

test("missing → create", () => {
  expect(decide("directory-missing").decision).toMatchObject({ action: "create", reason: "directory does not exist", before: { exists: false }, after: { mode: 0o755, owner: "root", group: "root" } });
});

test("same owner, group and mode → noop with a reason", () => {
  expect(decide("directory-match").decision).toMatchObject({ action: "noop", reason: "directory matches", before: { mode: 0o750, owner: "app", group: "app" } });
});

test("mode and owner drift → update naming both", () => {
  expect(decide("directory-meta-differs").decision).toMatchObject({ action: "update", reason: "mode 0750 → 0700, owner app → root" });
});

test("a regular file where the directory goes → update with why", () => {
  expect(decide("directory-is-file").decision).toMatchObject({ action: "update", reason: "is a regular file, not a directory" });
});

test("ops: mkdir through the fixed script with the path as an argument; delete only removes an empty directory", () => {
  const r: Directory = { id: "/srv/x", source: { file: "x.ts", line: 1 }, type: "directory", path: "/srv/x", owner: "app", group: "app", mode: 0o750, rollback: "keep" };
  const [op] = directory.ops({ key: "directory:/srv/x", type: "directory", id: r.id, action: "create", reason: "", resource: r, after: { owner: "app", group: "app", mode: 0o750 } }, { root: "/img" });
  expect(op!.argv).toEqual(["sh", "-c", MAKE_DIR, "hostkit-mkdir", "/srv/x", "750", "app", "app", "/img", "0"]);
  expect(directory.ops({ key: "directory:/srv/x", type: "directory", id: r.id, action: "delete", reason: "", resource: r }, {}).map((o) => o.argv)).toEqual([["sh", "-c", REMOVE_PATH, "hostkit-remove", "/srv/x", "dir", "", "app", "0"]]);
});
