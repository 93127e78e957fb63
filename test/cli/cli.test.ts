/** The command line itself: help on every verb, version, usage errors. */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { hostkit, stackLines } from "../helpers/cli.ts";

test("--version prints the version and the commit (\"source\" when not built)", async () => {
  for (const flag of ["--version", "-v"]) {
    const r = await hostkit([flag]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`hostkit ${pkg.version} (source)\n`);
  }
});

test("--help lists the verbs, and every verb has --help", async () => {
  const r = await hostkit(["--help"]);
  expect(r.code).toBe(0);
  const verbs = [.../COMMANDS\n([\s\S]*?)\n\n/.exec(r.stdout)![1]!.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!);
  expect(verbs).toEqual(expect.arrayContaining(["dump", "render", "init"]));
  for (const verb of verbs) {
    const h = await hostkit([verb, "--help"]);
    expect({ verb, code: h.code }).toEqual({ verb, code: 0 });
    expect(h.stdout).toContain(`hostkit ${verb}`);
    expect(h.stdout).toMatch(/USAGE/);
  }
});

test("dump and render document --require and --json", async () => {
  expect((await hostkit(["dump", "--help"])).stdout).toMatch(/--require[\s\S]*--json/);
  expect((await hostkit(["render", "--help"])).stdout).toContain("--require");
});

test("an unknown verb and a missing FILE are usage errors, exit 2", async () => {
  const unknown = await hostkit(["deploy", "x.ts"]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toBe('error: unknown command "deploy"\n  hint: hostkit help lists the commands\n');
  const missing = await hostkit(["dump"]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe("error: hostkit dump needs an infra FILE\n  hint: hostkit dump --help\n");
  expect(stackLines(missing.stderr)).toEqual([]);
});

test("--require is repeatable and imports the files first, in order", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hostkit-require-"));
  try {
    writeFileSync(join(dir, "a.ts"), "(globalThis as any).order = [...((globalThis as any).order ?? []), 'a'];\n");
    writeFileSync(join(dir, "b.ts"), "(globalThis as any).order = [...((globalThis as any).order ?? []), 'b'];\n");
    writeFileSync(
      join(dir, "infra.ts"),
      'import { project } from "hostkit";\nexport default project("order", (p) => { p.file("/etc/order", { content: (globalThis as any).order.join(",") }); });\n',
    );
    const r = await hostkit(["render", "--require", "a.ts", "--require=b.ts", "infra.ts", "file", "/etc/order"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("a,b");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
