/**
 * Every Caddy site the examples declare, compiled by the binary (`dump --json`), is accepted by Debian's
 * Caddy on the controller (`caddy validate --adapter caddyfile`): alone, and all together behind
 * Debian's default Caddyfile with the managed import line.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hk } from "../helpers/binary.ts";
import { REPO } from "../helpers/cli.ts";
import { EXAMPLES, requireFlags } from "../helpers/examples.ts";
import { mainCaddyfile } from "../../src/caddy/caddyfile.ts";
import { caddyUnavailable, freshDir, validate, write } from "../caddy/caddy.ts";

const skip = caddyUnavailable("test/providers/example-sites.test.ts");
// The examples that declare Caddy sites (each must compile to at least one).
const FILES = [...EXAMPLES, { file: "examples/providers/infra.ts", require: [] }].filter((e) => readFileSync(join(REPO, e.file), "utf8").includes("caddy.site("));

interface SiteRes {
  key: string;
  path: string;
  content: string;
}

async function sitesOf(ex: (typeof FILES)[number]): Promise<SiteRes[]> {
  const r = await hk(["dump", ex.file, ...requireFlags(ex), "--json"], { cwd: REPO });
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { resources: (SiteRes & { type: string })[] }).resources.filter((x) => x.type === "caddy_site");
}

describe.skipIf(skip)("Caddy accepts every example site", () => {
  test("the examples declaring sites include the seed's provider example and the user provider example", () => {
    expect(FILES.map((f) => f.file)).toEqual(["examples/caddy.ts", "examples/providers/infra.ts"]);
  });

  for (const f of FILES) {
    test(`${f.file}: each site validates alone and all together behind Debian's Caddyfile`, async () => {
      const sites = await sitesOf(f);
      expect(sites.length).toBeGreaterThan(0);
      for (const s of sites) {
        const r = validate(write(join(freshDir("one"), "site.caddy"), s.content));
        expect(`${s.key}: ${r.code} ${r.stdout.trim()}`, r.stderr).toBe(`${s.key}: 0 Valid configuration`);
      }
      const dir = freshDir("all");
      mkdirSync(join(dir, "sites"));
      for (const s of sites) write(join(dir, "sites", s.path.split("/").pop()!), s.content);
      const mainPath = join(dir, "Caddyfile");
      write(mainPath, mainCaddyfile(readFileSync(join(REPO, "test/fixtures/caddy/debian-Caddyfile"), "utf8"), join(dir, "sites"), { mainPath }).content);
      const r = validate(mainPath);
      expect(`${r.code} ${r.stdout.trim()}`, r.stderr).toBe("0 Valid configuration");
    }, 120_000);
  }
});
