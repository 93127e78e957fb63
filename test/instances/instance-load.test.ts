// Bad instance declarations are ONE load-time error each (naming the declaration, key and file:line),
// before anything is read or applied: an unknown backend, a port outside 1–65535, two instances
// exposing the same host port, a host outside an instance naming the instance.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostkit, stackLines } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "hk-inst-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function dump(body: string) {
  const f = join(dir, `infra-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(f, `import { project, incus } from "hostkit";\nexport default project("t", (p) => {\n${body}\n});\n`);
  const r = await hostkit(["dump", f]);
  return { ...r, file: f };
}

describe("instance declarations: load-time errors", () => {
  test("an unknown backend", async () => {
    const r = await dump(`  p.instance("vm1", { backend: { type: "docker" } as never, image: "img" });`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('instance "vm1"');
    expect(r.stderr).toContain('unknown backend "docker"');
    expect(r.stderr).toContain(`${r.file}:3`);
    expect(stackLines(r.stderr)).toEqual([]);
  });

  test("a port outside 1–65535", async () => {
    const r = await dump(`  p.instance("vm1", { backend: incus(), image: "img", expose: { web: { host: 70000, guest: 80 } } });`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("expose.web.host");
    expect(r.stderr).toContain("must be a port number 1–65535, got 70000");
    expect(r.stderr).toContain(`${r.file}:3`);
  });

  test("two instances exposing the same host port", async () => {
    const r = await dump(`  p.instance("vm1", { backend: incus(), image: "img", expose: { ssh: { host: 2222, guest: 22 } } });
  p.instance("vm2", { backend: incus(), image: "img", expose: { web: { host: 2222, guest: 80 } } });`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("host port 2222 is exposed by two instances");
    expect(r.stderr).toContain(`${r.file}:4`);
  });

  test("a nested host with its instance's name (it would be one target: its contents applied on this machine)", async () => {
    const marker = join(dir, "must-not-exist");
    const body = `  p.instance("box", { backend: incus(), image: "img", expose: { ssh: { host: 2399, guest: 22 } } }, (i) => {
    i.host("box", { at: "127.0.0.1", ssh: { port: 2399 } });
    i.file(${JSON.stringify(marker)}, { content: "x\\n" });
  });`;
    const r = await dump(body);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${r.file}:4: instance "box" › host "box": has the name of instance "box", which is planned on this machine under that name: the two would be one target\n  hint: name the nested host differently, e.g. i.host("box_guest", …)\n`);
    // Apply refuses the same way: the nested file is never written here.
    const a = await hostkit(["apply", r.file, "--instance", "box", "--confirm"]);
    expect(a.code).toBe(1);
    expect(await Bun.file(marker).exists()).toBe(false);
  });

  test("a host outside an instance referring to the instance's name", async () => {
    const r = await dump(`  p.instance("demo_vm", { backend: incus(), image: "img" });
  p.host("demo_vm", { at: "127.0.0.1" });`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('host "demo_vm"');
    expect(r.stderr).toContain('refers to instance "demo_vm" but is declared outside it');
    expect(r.stderr).toContain(`${r.file}:4`);
  });

  test("the backend name: '_' becomes '-'; a name Incus refuses is an error with a suggestion", async () => {
    const ok = await dump(`  p.instance("demo_vm", { backend: incus(), image: "img" });`);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("instance:demo_vm  container demo-vm from img");
    const bad = await dump(`  p.instance("vm1", { backend: incus(), image: "img", name: "bad_name" });`);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('use "bad-name"');
  });
});
