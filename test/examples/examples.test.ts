/**
 * Every example loads, dumps and renders through the real CLI, and what it dumps is exactly the
 * model (valid resources, each pointing back at the line that declared it).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { load } from "../../src/load.ts";
import { ResourceSchema, type Resource } from "../../src/kinds/registry.ts";
import { renderResource } from "../../src/render/index.ts";
import { hostkit, REPO, stackLines } from "../helpers/cli.ts";
import { EXAMPLES, requireFlags } from "../helpers/examples.ts";

const RENDERED = new Set(["systemd_service", "systemd_timer", "env_file", "file", "firewall"]);

test("there is an example for each seed example this issue covers", () => {
  const files = EXAMPLES.map((e) => e.file.replace(/^examples\//, ""));
  expect(files).toEqual(
    expect.arrayContaining([
      "first-example.ts",
      "env-and-secrets.ts",
      "commands.ts",
      "storage-volumes.ts",
      "network.ts",
      "logs.ts",
      "runtime-isolation.ts",
      "file-modes.ts",
      "project-conventions.ts",
      "project-conventions-require.ts",
      "timers.ts",
      "files-and-rollback.ts",
      "firewall.ts",
    ]),
  );
});

describe.each(EXAMPLES)("$file", (ex) => {
  test("dumps as JSON: valid resources, unique keys, each with the file:line that declared it", async () => {
    const r = await hostkit(["dump", ...requireFlags(ex), ex.file, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const dumped = JSON.parse(r.stdout) as { project: string; resources: (Resource & { key: string })[] };
    expect(dumped.resources.length).toBeGreaterThan(0);
    const keys = dumped.resources.map((x) => x.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const { key, ...res } of dumped.resources) {
      const parsed = v.safeParse(ResourceSchema, res);
      expect(parsed.issues?.map((i) => `${key}: ${i.message}`) ?? []).toEqual([]);
      expect(key).toBe(`${res.type}:${res.id}`);
      // The line is a DSL call in an example (or in the conventions module it imports).
      const lines = readFileSync(join(REPO, res.source.file), "utf8").split("\n");
      expect(res.source.file).toStartWith("examples/");
      expect(lines[res.source.line - 1]).toMatch(/\.(account|storage|directory|file|env|envFile|daemon|timer|command|package|mise|symlink|add|firewall|instance)\(|standardUser\(\)/);
    }
  });

  test("dumps as text", async () => {
    const r = await hostkit(["dump", ...requireFlags(ex), ex.file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^project \S+ {2}\(examples\//);
  });

  test("renders every unit, env file and file through the CLI, as the renderer does", async () => {
    const project = await load(join(REPO, ex.file), { require: ex.require.map((f) => join(REPO, f)) });
    const renderable = project.resources.filter((x) => RENDERED.has(x.type));
    const results = await Promise.all(renderable.map((x) => hostkit(["render", ...requireFlags(ex), ex.file, x.type, x.id])));
    results.forEach((r, i) => {
      const res = renderable[i]!;
      expect({ key: `${res.type}:${res.id}`, code: r.code, stderr: r.stderr }).toEqual({ key: `${res.type}:${res.id}`, code: 0, stderr: "" });
      expect(r.stdout).toBe(renderResource(res)!);
    });
  });
});

describe("rendered content", () => {
  test("env files keep secrets as references: the dump and the rendered file never hold a value", async () => {
    const r = await hostkit(["render", "examples/env-and-secrets.ts", "env_file", "/etc/shop/web/runtime.env"], { env: { SECRET_KEY_BASE: "s3cr3t-value", DATABASE_URL: "postgres://u:pw@db/shop" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      ["# Managed by HostKit.", "MIX_ENV=prod", "PHX_SERVER=true", "PORT=4000", 'DATABASE_URL="(secret) $$DATABASE_URL"', 'SECRET_KEY_BASE="(secret) $$SECRET_KEY_BASE"', ""]
        .join("\n")
        .replaceAll("$$", "\\$"),
    );
    const dump = await hostkit(["dump", "examples/env-and-secrets.ts", "--json"], { env: { SECRET_KEY_BASE: "s3cr3t-value", HOSTKIT_SSH_PASSWORD: "hunter2" } });
    expect(dump.stdout).not.toContain("s3cr3t-value");
    expect(dump.stdout).not.toContain("hunter2");
    expect(dump.stdout).toContain('"$secret": {\n');
  });

  test("a file's content can come from a local file next to the infra file", async () => {
    const r = await hostkit(["render", "examples/files-and-rollback.ts", "file", "/etc/gatehouse/runtime.exs"]);
    expect(r.stdout).toBe(readFileSync(join(REPO, "examples/files/runtime.exs"), "utf8"));
  });

  test("non-UTF-8 content is kept as base64", async () => {
    const r = await hostkit(["dump", "examples/files-and-rollback.ts", "--json"]);
    const ico = (JSON.parse(r.stdout) as { resources: { key: string; contentBase64?: string }[] }).resources.find((x) => x.key === "file:/srv/app/favicon.ico");
    expect(ico?.contentBase64).toBe(Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0xff]).toString("base64"));
  });

  test("the runtime helpers write a drop-in for a unit HostKit does not own", async () => {
    const r = await hostkit(["render", "examples/runtime-isolation.ts", "file", "/etc/systemd/system/caddy.service.d/hostkit-hardening.conf"]);
    expect(r.stdout).toStartWith("[Service]\nNoNewPrivileges=yes\n");
    expect(r.stdout).toContain("ProtectSystem=strict\n");
    expect(r.stdout).toContain("ReadOnlyPaths=/etc/caddy\n");
    expect(r.stdout).toContain("MemoryMax=512M\nCPUQuota=50%\n");
  });
});

describe("project-local conventions", () => {
  test("the --require twin declares the same resources as the import twin", async () => {
    const viaImport = await load(join(REPO, "examples/project-conventions.ts"));
    const viaRequire = await load(join(REPO, "examples/project-conventions-require.ts"), { require: [join(REPO, "examples/conventions/toys-infra-global.ts")] });
    const unit = (p: typeof viaImport) => p.resources.find((x) => x.type === "systemd_service")!;
    expect(unit(viaRequire).id).toBe("toys-exograph.service");
    const rw = (p: typeof viaImport) => (unit(p) as Extract<Resource, { type: "systemd_service" }>).sections.Service!.find(([k]) => k === "ReadWritePaths")?.[1];
    expect(rw(viaRequire)).toBe("/srv/toys/exograph /var/lib/toys/exograph /opt/toys/src/exograph");
    expect(rw(viaImport)).toBe(rw(viaRequire));
    expect(viaRequire.resources.find((x) => x.type === "account")).toMatchObject({ id: "toys-exograph", system: true, home: "/var/lib/toys/exograph/home" });
  });

  test("without --require the infra file stops with one diagnostic at the line that needs it", async () => {
    const r = await hostkit(["dump", "examples/project-conventions-require.ts"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: examples/project-conventions-require.ts:4: ReferenceError: ToysInfra is not defined\n");
    expect(stackLines(r.stderr)).toEqual([]);
  });
});
