/**
 * The examples are the DSL's tour: every declaration, every option of every declaration, every
 * mode form, address form, profile and command `down` form appears in at least one of them. A new
 * option without an example fails here.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as v from "valibot";
import type { ItemDecl, ProjectDecl } from "../../src/dsl/decl.ts";
import * as O from "../../src/dsl/options.ts";
import { loadDecl } from "../../src/load.ts";
import { RESOURCE_PROFILES } from "../../src/runtime/resources.ts";
import { SANDBOX_PROFILES } from "../../src/runtime/sandbox.ts";
import { REPO } from "../helpers/cli.ts";
import { EXAMPLES } from "../helpers/examples.ts";

const decls: ProjectDecl[] = await Promise.all(EXAMPLES.map((ex) => loadDecl(join(REPO, ex.file), { require: ex.require.map((f) => join(REPO, f)) })));
// Built-in declarations (provider declarations carry their own options: test/providers).
type BuiltIn = Exclude<ItemDecl, { kind: "provided" }>;
const items: BuiltIn[] = decls.flatMap((d) => [...d.items, ...d.services.flatMap((s) => s.items), ...d.hosts.flatMap((h) => h.items)]).filter((i): i is BuiltIn => i.kind !== "provided");
const sources = EXAMPLES.map((ex) => readFileSync(join(REPO, ex.file), "utf8")).join("\n") + readFileSync(join(REPO, "examples/conventions/toys-infra.ts"), "utf8");

const keysOf = (schema: v.ObjectEntries | { entries: v.ObjectEntries }) => Object.keys("entries" in schema ? schema.entries : schema).sort();
const used = (objects: (object | undefined)[]) => [...new Set(objects.flatMap((o) => (o ? Object.keys(o) : [])))].sort();
type OptsOf<K extends BuiltIn["kind"]> = Extract<BuiltIn, { kind: K }>["opts"];
const opts = <K extends BuiltIn["kind"]>(kind: K): OptsOf<K>[] => items.filter((i) => i.kind === kind).map((i) => i.opts) as OptsOf<K>[];

test("every declaration kind is used, at project level and in services", () => {
  const kinds = new Set(items.map((i) => i.kind));
  expect([...kinds].sort()).toEqual(["account", "command", "daemon", "directory", "env", "file", "mise", "package", "resource", "storage", "timer"]);
  const projectKinds = new Set(decls.flatMap((d) => d.items.map((i) => i.kind)));
  for (const k of ["account", "directory", "file", "command", "timer", "package"] as const) expect(projectKinds.has(k)).toBe(true);
  expect(decls.some((d) => Object.keys(d.roots).length)).toBe(true);
  expect(decls.some((d) => d.prefixes.user && d.prefixes.unit)).toBe(true);
  expect(decls.some((d) => d.hosts.length)).toBe(true);
  expect(decls.some((d) => d.runs.root && d.runs.backups)).toBe(true);
  expect(items.some((i) => i.kind === "env" && !i.name)).toBe(true); // envFile(path, …)
});

test.each([
  ["account", O.AccountSchema],
  ["directory", O.DirectorySchema],
  ["file", O.FileSchema],
  ["env", O.EnvSchema],
  ["storage", O.StorageSchema],
  ["package", O.PackageSchema],
  ["command", O.CommandSchema],
  ["daemon", O.DaemonSchema],
  ["timer", O.TimerSchema],
  ["mise", O.MiseSchema],
] as const)("every option of %s is used", (kind, schema) => {
  expect(used(opts(kind))).toEqual(keysOf(schema));
});

test("every host and ssh option is used, and every retry form", () => {
  const hosts = decls.flatMap((d) => d.hosts);
  expect(used(hosts.map((h) => ({ at: h.at, ...(Object.keys(h.ssh).length ? { ssh: h.ssh } : {}) })))).toEqual(keysOf(O.HostSchema));
  expect(used(hosts.map((h) => h.ssh))).toEqual(keysOf(O.SshSchema));
  const retries = hosts.map((h) => h.ssh.retry).filter((r) => r !== undefined);
  expect(retries.some((r) => typeof r === "number")).toBe(true);
  expect(retries.some((r) => r === false)).toBe(true);
  expect(retries.some((r) => typeof r === "object" && r.baseDelay && r.maxDelay)).toBe(true);
  expect(hosts.some((h) => typeof h.ssh.password === "object")).toBe(true); // secretEnv
});

test("every nested daemon option is used", () => {
  const daemons = opts("daemon");
  expect(used(daemons.flatMap((d) => Object.values(d.listen ?? {})))).toEqual(keysOf(O.ListenerSchema));
  expect(used(daemons.map((d) => d.networkPolicy))).toEqual(keysOf(O.NetworkPolicySchema));
  expect(used(daemons.map((d) => d.logs))).toEqual(keysOf(O.LogsSchema));
  expect(used(daemons.map((d) => d.run))).toEqual(keysOf(O.RunSchema));
  const isolates = [...daemons.map((d) => d.isolate), ...opts("timer").map((t) => t.isolate)];
  for (const k of ["profile", "writable", "network"]) expect(used(isolates)).toContain(k);
  expect(used(isolates).filter((k) => !["profile", "writable", "network"].includes(k)).length).toBeGreaterThanOrEqual(3); // overrides
  expect(new Set(isolates.map((i) => i?.network).filter(Boolean))).toEqual(new Set(["loopback", "any", "none"]));
  const outputs = new Set(daemons.flatMap((d) => [d.logs?.stdout, d.logs?.stderr]).filter(Boolean));
  expect(outputs).toEqual(new Set(["journal", "null", "inherit", "kmsg"]));
});

test("every sandbox profile and resource profile is used", () => {
  const profiles = new Set([...opts("daemon"), ...opts("timer")].map((d) => d.isolate?.profile).filter(Boolean));
  for (const p of Object.keys(SANDBOX_PROFILES)) expect({ profile: p, used: profiles.has(p as never) || sources.includes(`Sandbox.new("${p}"`) }).toEqual({ profile: p, used: true });
  const resources = opts("daemon").map((d) => d.resources);
  for (const p of RESOURCE_PROFILES) expect(resources.includes(p)).toBe(true);
  expect(resources.some((r) => typeof r === "object" && r.profile)).toBe(true);
  expect(sources).toContain("Sandbox.toSystemdServiceOptions(");
  expect(sources).toContain("Resources.toSystemdServiceOptions(");
});

test("all five mode forms are used", () => {
  const modes = items.flatMap((i) => ("mode" in i.opts && i.opts.mode !== undefined ? [i.opts.mode] : []));
  const form = (m: unknown) =>
    typeof m === "number" ? "number" : typeof m === "string" ? "alias" : Array.isArray(m) ? (m.length === 3 && m.every((x) => x === null || /^r?w?x?$/.test(x)) ? "triple" : "capabilities") : "record";
  expect(new Set(modes.map(form))).toEqual(new Set(["number", "alias", "triple", "record", "capabilities"]));
});

test("every address form is used", () => {
  const addrs = opts("daemon").flatMap((d) => [...Object.values(d.listen ?? {}).map((l) => l.on), ...(d.networkPolicy?.allow ?? [])]);
  const form = (a: unknown) => (Array.isArray(a) ? `${a.length} numbers` : a === "loopback" || a === "any" ? a : "string");
  expect(new Set(addrs.map(form))).toEqual(new Set(["loopback", "any", "4 numbers", "5 numbers", "string"]));
});

test("every command down form is used, and both phases", () => {
  const commands = opts("command");
  expect(new Set(commands.map((c) => (Array.isArray(c.down) ? "argv" : c.down)))).toEqual(new Set(["argv", "noop", "irreversible"]));
  expect(new Set(commands.map((c) => c.phase).filter(Boolean))).toEqual(new Set(["before_start", "after_start"]));
});

test("every scope helper and Storage helper is used", () => {
  for (const helper of ["rootPath(", "serviceUser()", "unitName()", "writableStoragePaths()", "listenerAddress(", "s.name", "Storage.volume(", "Storage.directory(", "Storage.readWritePaths(", "secretEnv("]) {
    expect({ helper, used: sources.includes(helper) }).toEqual({ helper, used: true });
  }
});
