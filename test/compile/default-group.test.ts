import { expect, test } from "bun:test";
import { project } from "../../src/dsl/index.ts";
import { compile } from "../../src/compile/index.ts";

test("a directory or file owned by a declared account defaults to that account's primary group", () => {
  const decl = project("gatehouse", (p) => {
    p.account("app", { system: true, group: "gh-relay" });
    p.directory("/srv/app", { owner: "app" });
    p.file("/srv/app/x", { content: "x", owner: "app" });
    p.directory("/srv/other", { owner: "www-data" });
  });
  const byId = new Map(compile(decl).resources.map((r) => [r.id, r]));
  expect(byId.get("/srv/app")).toMatchObject({ owner: "app", group: "gh-relay" });
  expect(byId.get("/srv/app/x")).toMatchObject({ owner: "app", group: "gh-relay" });
  // An owner HostKit does not declare keeps the user-private-group convention.
  expect(byId.get("/srv/other")).toMatchObject({ owner: "www-data", group: "www-data" });
});
