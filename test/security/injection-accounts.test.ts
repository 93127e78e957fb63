/**
 * Issue 8, item 7: account values end up as lines of passwd and group. A shell or home holding a
 * newline added a second uid-0 account to an offline root; a `-` user prefix made an account named
 * `-w`. Each hostile declaration is now ONE load-time diagnostic naming the declaration, the key and
 * file:line, through the compiled binary, and the tree's passwd/group are untouched. The offline
 * useradd script refuses such values by itself too (defence in depth: a saved plan skips the DSL).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADD_ACCOUNT_OFFLINE } from "../../src/kinds/scripts.ts";
import { hk, infra, oneDiagnostic, removeTempDirs, tempDir } from "./secrets-helpers.ts";

afterAll(removeTempDirs);

const PASSWD = "root:x:0:0:root:/root:/bin/sh\n";
const GROUP = "root:x:0:\n";

function tree(): string {
  const root = tempDir("hk-inj-acct-");
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc/passwd"), PASSWD);
  writeFileSync(join(root, "etc/group"), GROUP);
  return root;
}

/** [what, declaration (line 3 of the infra file), the diagnostic after "file:3: "]. */
const HOSTILE: [string, string, string][] = [
  ["a shell holding a passwd line", `p.account("evil", { shell: "/bin/sh\\nroot2:x:0:0::/root:/bin/bash" });`, `project "inj" › account "evil" › shell: must not contain a line break or other control character`],
  ["a home holding a passwd line", `p.account("evil", { home: "/h\\nroot2:x:0:0::/root:/bin/bash" });`, `project "inj" › account "evil" › home: must not contain a line break or other control character`],
  ["a home with the field separator", `p.account("evil", { home: "/srv/evil:0:0" });`, `project "inj" › account "evil" › home: must not contain ':' (the passwd field separator)`],
  ["a relative shell", `p.account("evil", { shell: "bin/sh" });`, `project "inj" › account "evil" › shell: must be an absolute path`],
  ["a home that is not normalised", `p.account("evil", { home: "/srv/../root" });`, `project "inj" › account "evil" › home: must be a normalised path (no '//', '/./', '/../' or trailing '/')`],
  ["an account named like an option", `p.account("-w");`, `project "inj" › account "-w": an account name must start with a-z or '_' and contain only a-z, 0-9, '_' and '-' (with an optional final '$')`],
  ["a primary group holding a newline", `p.account("evil", { group: "evil\\nroot2" });`, `project "inj" › account "evil" › group: must start with a-z or '_' and contain only a-z, 0-9, '_' and '-' (with an optional final '$')`],
  ["a supplementary group named like an option", `p.account("evil", { groups: ["adm", "-x"] });`, `project "inj" › account "evil" › groups[1]: must start with a-z or '_' and contain only a-z, 0-9, '_' and '-' (with an optional final '$')`],
  ["a user prefix starting with '-'", `p.prefixes({ user: "-" });`, `project "inj" › prefixes › user: must start with a-z or '_' (account names cannot start with a digit or '-')`],
  ["a user prefix starting with a digit", `p.prefixes({ user: "1" });`, `project "inj" › prefixes › user: must start with a-z or '_' (account names cannot start with a digit or '-')`],
];

describe.each(HOSTILE)("%s", (_what, decl, message) => {
  test("one load-time diagnostic with file:line; apply --root writes nothing", async () => {
    const dir = tempDir("hk-inj-acct-");
    const file = infra(dir, `export default project("inj", (p) => {\n  ${decl}\n  p.service("w", (s) => s.account({ system: true }));\n});`);
    const root = tree();
    const r = await hk(["apply", file, "--root", root, "--confirm"], { cwd: dir });
    expect(oneDiagnostic(r)).toBe(`error: config.ts:3: ${message}`);
    expect(readFileSync(join(root, "etc/passwd"), "utf8")).toBe(PASSWD);
    expect(readFileSync(join(root, "etc/group"), "utf8")).toBe(GROUP);
  });
});

test("valid values still apply: one passwd line per account, one uid 0", async () => {
  const dir = tempDir("hk-inj-acct-");
  const file = infra(
    dir,
    `export default project("inj", (p) => {
  p.prefixes({ user: "toys-" });
  p.account("_svc", { home: "/srv/svc", shell: "/bin/sh", groups: ["adm", "systemd-journal"] });
  p.account("machine$", { system: true });
  p.service("web", (s) => s.account({ system: true }));
});`,
  );
  const root = tree();
  const r = await hk(["apply", file, "--root", root, "--confirm"], { cwd: dir });
  // Progress lines go to stderr; no error or warning among them.
  expect(r.stderr.split("\n").filter((l) => /error|warning|refus/i.test(l))).toEqual([]);
  expect(r.code).toBe(0);
  const passwd = readFileSync(join(root, "etc/passwd"), "utf8").trimEnd().split("\n");
  expect(passwd.map((l) => l.split(":")[0]).sort()).toEqual(["_svc", "machine$", "root", "toys-web"]);
  expect(passwd.every((l) => l.split(":").length === 7)).toBe(true);
  expect(passwd.filter((l) => l.split(":")[2] === "0")).toEqual(["root:x:0:0:root:/root:/bin/sh"]);
  expect(passwd.find((l) => l.startsWith("_svc:"))).toMatch(/^_svc:x:\d+:\d+::\/srv\/svc:\/bin\/sh$/);
});

describe("the offline useradd script refuses hostile values by itself", () => {
  // Args: ROOT NAME SYSTEM HOME SHELL GROUP GROUPS — as a saved plan could hand them over.
  const CASES: [string, string[]][] = [
    ["shell with a passwd line", ["evil", "0", "", "/bin/sh\nroot2:x:0:0::/root:/bin/bash", "", ""]],
    ["home with a passwd line", ["evil", "0", "/h\nroot2:x:0:0::/root:/bin/bash", "/bin/sh", "", ""]],
    ["home with ':'", ["evil", "0", "/h:0", "/bin/sh", "", ""]],
    ["relative shell", ["evil", "0", "", "sh", "", ""]],
    ["name '-w'", ["-w", "0", "", "/bin/sh", "", ""]],
    ["name with ':'", ["a:0", "0", "", "/bin/sh", "", ""]],
    ["name longer than 32", ["a".repeat(33), "0", "", "/bin/sh", "", ""]],
    ["group with a newline", ["evil", "0", "", "/bin/sh", "g\nroot2", ""]],
    ["supplementary group '-x'", ["evil", "0", "", "/bin/sh", "", "adm,-x"]],
    ["empty supplementary group", ["evil", "0", "", "/bin/sh", "", "adm,,x"]],
  ];
  test.each(CASES)("%s", (_what, args) => {
    const root = tree();
    const r = Bun.spawnSync(["sh", "-c", ADD_ACCOUNT_OFFLINE, "hostkit-useradd", root, ...args]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("refusing account");
    expect(readFileSync(join(root, "etc/passwd"), "utf8")).toBe(PASSWD);
    expect(readFileSync(join(root, "etc/group"), "utf8")).toBe(GROUP);
  });
});
