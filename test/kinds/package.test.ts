/** The package kind as data: resolve (manager, lookup, grouping), diff, the one install op, down. */
import { expect, test } from "bun:test";
import { pkg, type Package } from "../../src/kinds/package.ts";
import { parseOsRelease } from "../../src/packages/os-release.ts";
import type { HostFacts } from "../../src/model/kind.ts";
import { HostKitError } from "../../src/model/errors.ts";

const debian = parseOsRelease('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n');
const facts = (installed: Record<string, string>, noIndex = false): HostFacts => ({
  users: new Map(), groups: new Map(), userById: new Map(), groupById: new Map(),
  extra: new Map([["packages.host", { os: debian, repository: "debian_12", available: ["apt"], installed: { apt: new Map(Object.entries(installed)) }, failed: {}, ...(noIndex ? { noIndex: true } : {}) }]]),
});
const res = (name: string, o: Partial<Package> = {}): Package => ({ type: "package", id: name, name, source: { file: "infra.ts", line: 3 }, update: false, rollback: "keep", ...o });
const lookedUp: string[] = [];
const lookups = { names: { resolve: async (n: string, repo: string) => (lookedUp.push(`${n}@${repo}`), n === "ghost" ? Promise.reject(new HostKitError({ message: "Repology has no project \"ghost\"" })) : { name: n.replaceAll("_", "-"), version: "1" }) } };

async function plan(rs: Package[], installed: Record<string, string>, noIndex = false) {
  const f = facts(installed, noIndex);
  f.extra.set("resolved:package", await pkg.resolve!(rs, f, { lookups }));
  return rs.map((r) => ({ r, d: pkg.diff(r, pkg.parse(r, [], f, {})) }));
}

test("missing packages of one manager: the first carries ONE install of all (update once); installed ones are noops; as: is not looked up", async () => {
  lookedUp.length = 0;
  const out = await plan([res("jq"), res("bash"), res("tree", { update: true }), res("build_essential", { as: "build-essential" })], { bash: "5.2" });
  expect(lookedUp).toEqual(["jq@debian_12", "bash@debian_12", "tree@debian_12"]);
  expect(out.map((o) => o.d.action)).toEqual(["create", "noop", "create", "create"]);
  const ops = pkg.ops({ key: "package:jq", type: "package", id: "jq", action: "create", reason: "", source: "infra.ts:3", after: out[0]!.d.after, resource: out[0]!.r }, {});
  expect(ops.map((o) => o.argv.slice(0, 4))).toEqual([["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update"], ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install"]]);
  expect(ops[1]!.argv.slice(-4)).toEqual(["--", "jq", "tree", "build-essential"]);
  expect(ops[1]!.label).toBe("install apt packages jq, tree, build-essential");
  expect(pkg.ops({ key: "package:tree", type: "package", id: "tree", action: "create", reason: "", source: "", after: out[2]!.d.after, resource: out[2]!.r }, {})).toEqual([]);
  expect(out[2]!.d.reason).toContain("installed by package:jq's one apt install");
});

test("every unresolvable declaration is reported at once, each with its file:line; bad as: names the key", async () => {
  const err = await plan([res("ghost"), res("x", { as: "Bad_Name" }), res("y", { manager: "dnf" })], {}).catch((e) => e as HostKitError);
  expect(err).toBeInstanceOf(HostKitError);
  const msgs = (err as HostKitError).message.split("\n");
  expect(msgs[0]).toBe('infra.ts:3: package "ghost": Repology has no project "ghost"');
  expect(msgs.some((m) => m.startsWith('infra.ts:3: package "x" › as: "Bad_Name" is not a valid apt package name'))).toBe(true);
  expect(msgs.some((m) => m.includes('package "y" › manager: package manager "dnf" (dnf) is not installed'))).toBe(true);
});

test("down: kept by default; rollback delete removes only a package this run installed", async () => {
  const { r, d } = (await plan([res("jq", { rollback: "delete" })], {}))[0]!;
  const change = { key: "package:jq", type: "package", id: "jq", action: d.action, reason: d.reason, source: "infra.ts:3", before: d.before, after: d.after, resource: r };
  const inv = pkg.down.invert(change, { backups: {}, warnings: [] });
  expect(inv.change?.action).toBe("delete");
  expect(pkg.ops(inv.change as never, {}).map((o) => o.argv.slice(2, 4))).toEqual([["apt-get", "remove"]]);
  expect(pkg.down.invert({ ...change, resource: { ...r, rollback: "keep" } }, { backups: {}, warnings: [] }).kept).toContain("package:jq");
  expect(pkg.down.invert({ ...change, action: "noop" }, { backups: {}, warnings: [] }).change).toBeUndefined();
});

test("a host with no apt index (a fresh container): the one install refreshes it first, and the plan says why", async () => {
  const out = await plan([res("jq"), res("tree")], {}, true);
  expect(out[0]!.d.reason).toBe("apt package jq is not installed (one apt install for 2 packages: jq, tree) (no package index on the host: apt-get update first)");
  const ops = pkg.ops({ key: "package:jq", type: "package", id: "jq", action: "create", reason: "", source: "infra.ts:3", after: out[0]!.d.after, resource: out[0]!.r }, {});
  expect(ops.map((o) => o.argv[2])).toEqual(["apt-get", "apt-get"]);
  expect(ops.map((o) => o.argv[3])).toEqual(["update", "install"]);
  // With an index, no refresh unless asked.
  const indexed = await plan([res("jq")], {}, false);
  expect(pkg.ops({ key: "package:jq", type: "package", id: "jq", action: "create", reason: "", source: "infra.ts:3", after: indexed[0]!.d.after, resource: indexed[0]!.r }, {}).map((o) => o.argv[3])).toEqual(["install"]);
});
