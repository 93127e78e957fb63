/** `account`: decided from the host's passwd/group facts (the tree's files offline, getent live). */
import { expect, test } from "bun:test";
import { account } from "../../src/kinds/account.ts";
import type { Account } from "../../src/model/resource.ts";
import { decide } from "./fixtures.ts";

test("missing → create", () => {
  expect(decide("account-missing").decision).toMatchObject({ action: "create", reason: "account does not exist", before: { exists: false, groupExists: false } });
});

test("home, shell and supplementary groups match → noop", () => {
  expect(decide("account-match").decision).toMatchObject({ action: "noop", reason: "account exists", before: { uid: 998, home: "/var/lib/app", groups: ["adm", "app"] } });
});

test("shell and a missing group → update naming both", () => {
  expect(decide("account-differs").decision).toMatchObject({ action: "update", reason: "shell /usr/sbin/nologin → /bin/bash, not in group systemd-journal" });
});

test("on this machine (getent): root exists", () => {
  expect(decide("account-live-root").decision).toMatchObject({ action: "noop", before: { uid: 0 } });
});

test("ops: live hosts use useradd with the name after --; offline trees a fixed script with the tree as an argument", () => {
  const r: Account = { id: "web", source: { file: "x.ts", line: 1 }, type: "account", name: "web", system: true, shell: "/usr/sbin/nologin", groups: ["adm"], rollback: "keep" };
  const c = { key: "account:web", type: "account", id: "web", action: "create" as const, reason: "", resource: r, before: { exists: false, groupExists: false }, after: { groups: ["adm"] } };
  expect(account.ops(c, {})[0]!.argv).toEqual(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", "--groups", "adm", "--", "web"]);
  const offline = account.ops(c, { root: "/img" })[0]!.argv;
  expect(offline.slice(0, 2)).toEqual(["sh", "-c"]);
  expect(offline.slice(3)).toEqual(["hostkit-useradd", "/img", "web", "1", "", "/usr/sbin/nologin", "", "adm"]);
});
