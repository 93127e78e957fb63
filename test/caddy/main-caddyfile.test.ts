/**
 * The main Caddyfile keeps exactly one import of the sites dir: added once at the end, at top level;
 * every other byte of the host's file kept (Debian's default Caddyfile as the fixture); idempotent;
 * the result accepted by Caddy with the host's own site still served.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { IMPORT_MARKER, mainCaddyfile, renderSite, withoutImport } from "../../src/caddy/caddyfile.ts";
import { parseSite } from "../../src/caddy/site.ts";
import { adapt, caddyUnavailable, freshDir, validate, write } from "./caddy.ts";

const DEBIAN = readFileSync(join(import.meta.dir, "../fixtures/caddy/debian-Caddyfile"), "utf8");
const IMPORT = "import /etc/caddy/sites/*.caddy";
const skip = caddyUnavailable("test/caddy/main-caddyfile.test.ts");

describe("mainCaddyfile", () => {
  test("Debian's default: one import appended, every original byte kept, idempotent", () => {
    const first = mainCaddyfile(DEBIAN, "/etc/caddy/sites");
    expect(first.changed).toBe(true);
    expect(first.content.startsWith(DEBIAN)).toBe(true);
    expect(first.content.slice(DEBIAN.length)).toBe(`\n${IMPORT_MARKER}\n${IMPORT}\n`);
    const second = mainCaddyfile(first.content, "/etc/caddy/sites");
    expect(second).toEqual({ content: first.content, changed: false });
    expect(first.content.split("\n").filter((l) => l.startsWith("import ")).length).toBe(1);
  });

  test("no file yet: a file holding just the import", () => {
    expect(mainCaddyfile(null, "/etc/caddy/sites")).toEqual({ content: `${IMPORT_MARKER}\n${IMPORT}\n`, changed: true });
    expect(mainCaddyfile(null)).toEqual(mainCaddyfile(null, "/etc/caddy/sites"));
    expect(mainCaddyfile(null, "/srv/caddy/sites/").content).toContain("import /srv/caddy/sites/*.caddy\n");
  });

  test("an import the host already has (absolute or relative to the file) counts", () => {
    const rel = "{\n\tadmin localhost:2019\n}\nimport sites/*.caddy\n";
    expect(mainCaddyfile(rel, "/etc/caddy/sites")).toEqual({ content: rel, changed: false });
    const abs = `:80 {\n\trespond "x"\n}\n${IMPORT}\n`;
    expect(mainCaddyfile(abs, "/etc/caddy/sites")).toEqual({ content: abs, changed: false });
    const elsewhere = "import sites/*.caddy\n";
    expect(mainCaddyfile(elsewhere, "/etc/caddy/sites", { mainPath: "/opt/caddy/Caddyfile" }).changed).toBe(true);
  });

  test("an import inside a block, a comment or a quoted string does not count", () => {
    for (const text of [
      `(common) {\n\t${IMPORT}\n}\n`,
      `# ${IMPORT}\n:80 {\n\trespond "x"\n}\n`,
      `:80 {\n\trespond "\n${IMPORT}\n"\n}\n`,
    ]) {
      const r = mainCaddyfile(text, "/etc/caddy/sites");
      expect(r.changed).toBe(true);
      expect(r.content).toBe(`${text}\n${IMPORT_MARKER}\n${IMPORT}\n`);
    }
  });

  test("a file without a final newline, and CRLF files, keep their bytes", () => {
    const noEol = ':80 {\n\trespond "x"\n}';
    expect(mainCaddyfile(noEol, "/etc/caddy/sites").content).toBe(`${noEol}\n\n${IMPORT_MARKER}\n${IMPORT}\n`);
    const crlf = ':80 {\r\n\trespond "x"\r\n}\r\n';
    const r = mainCaddyfile(crlf, "/etc/caddy/sites");
    expect(r.content).toBe(`${crlf}\r\n${IMPORT_MARKER}\r\n${IMPORT}\r\n`);
    expect(mainCaddyfile(r.content, "/etc/caddy/sites").changed).toBe(false);
  });

  test("a changed sites dir moves HostKit's own line and nothing else", () => {
    const withOurs = mainCaddyfile(DEBIAN, "/etc/caddy/sites").content;
    const moved = mainCaddyfile(withOurs, "/etc/caddy/hostkit-sites");
    expect(moved.changed).toBe(true);
    expect(moved.content).toBe(withOurs.replace(IMPORT, "import /etc/caddy/hostkit-sites/*.caddy"));
    expect(moved.content.startsWith(DEBIAN)).toBe(true);
  });

  test("withoutImport gives the host's file back byte for byte", () => {
    expect(withoutImport(mainCaddyfile(DEBIAN, "/etc/caddy/sites").content)).toEqual({ content: DEBIAN, changed: true });
    expect(withoutImport(DEBIAN)).toEqual({ content: DEBIAN, changed: false });
    const crlf = ':80 {\r\n\trespond "x"\r\n}\r\n';
    expect(withoutImport(mainCaddyfile(crlf, "/etc/caddy/sites").content).content).toBe(crlf);
  });

  test("a file Caddy could not read is refused, not edited", () => {
    expect(() => mainCaddyfile(":80 {\n\trespond x\n", "/etc/caddy/sites")).toThrow("caddy provider › main Caddyfile: /etc/caddy/Caddyfile: a block is never closed; refusing to append to it");
    expect(() => mainCaddyfile(':80 {\n\trespond "x\n}\n', "/etc/caddy/sites")).toThrow("caddy provider › main Caddyfile: /etc/caddy/Caddyfile:2: unterminated quoted string; refusing to edit a file Caddy cannot read");
    expect(() => mainCaddyfile("}\n", "/etc/caddy/sites")).toThrow("/etc/caddy/Caddyfile:1: '}' closes a block that was never opened");
  });

  test("a hostile sites dir is refused", () => {
    for (const dir of ["sites", "/etc/caddy/../../tmp", "/etc/caddy/my sites", "/etc/caddy/sites\nimport /etc", '/etc/"x"', "/etc/{$HOME}"]) {
      expect(() => mainCaddyfile(DEBIAN, dir)).toThrow(/^caddy provider › sitesDir: /);
    }
  });
});

describe.skipIf(skip)("Caddy reads the managed main Caddyfile", () => {
  test("Debian's default plus the import: the host's :80 site and ours are both served", () => {
    const dir = freshDir("main");
    const sites = join(dir, "sites");
    mkdirSync(sites);
    const mainPath = join(dir, "Caddyfile");
    write(mainPath, mainCaddyfile(DEBIAN, sites, { mainPath }).content);
    // an empty sites dir is valid (Caddy warns about the empty glob)
    const empty = validate(mainPath);
    expect(`${empty.code} ${empty.stdout.trim()}`, empty.stderr).toBe("0 Valid configuration");
    expect(empty.stderr).toContain("No files matching import glob pattern");
    write(join(sites, "app.caddy"), renderSite(parseSite(":8080", { reverseProxy: "http", logs: false }), { http: { port: 4000 } }));
    const r = validate(mainPath);
    expect(`${r.code} ${r.stdout.trim()}`, r.stderr).toBe("0 Valid configuration");
    const servers = (adapt(mainPath) as { apps: { http: { servers: Record<string, { listen: string[] }> } } }).apps.http.servers;
    expect(Object.values(servers).map((s) => s.listen[0]).sort()).toEqual([":80", ":8080"]);
  });

  test("a new file holding just the import is valid on its own", () => {
    const dir = freshDir("fresh");
    const mainPath = join(dir, "Caddyfile");
    write(mainPath, mainCaddyfile(null, join(dir, "sites"), { mainPath }).content);
    const r = validate(mainPath);
    expect(`${r.code} ${r.stdout.trim()}`, r.stderr).toBe("0 Valid configuration");
  });
});
