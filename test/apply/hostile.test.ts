/**
 * Hostile names and contents are applied exactly and never interpreted by a shell: paths with quotes,
 * `$()`, backticks, newlines, spaces, globs, leading dashes, head's own frame marker; non-UTF-8
 * bytes; env values full of shell syntax. Both on this machine (--local, in a temp dir) and offline
 * (--root). A second plan finds nothing to do (the probes read these names back correctly).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseEnvFile } from "../../src/render/dotenv.ts";
import { hostkit, infraFile, removeTempDirs, tempDir } from "../plan/helpers.ts";

afterAll(removeTempDirs);

const BYTES = [0xff, 0xfe, 0x00, 0x0a, 0x80, 0xc3, 0x28, 0x27, 0x24, 0x28, 0x60];
const ENV_VALUE = "a \"b\" 'c' $HOME $(touch MARK) `touch MARK` \\e\nsecond line";

/** Names relative to a base directory; `MARK` becomes a marker path that must never be created. */
const NAMES = [
  `it's "quoted".conf`,
  "$(touch MARK)",
  "`touch MARK`",
  "new\nline.conf",
  "with space/and more.conf",
  "-rf",
  "--help",
  "*",
  "; touch MARK; #",
  "==> fake <==",
  "back\\slash\\n.conf",
  "ünïcödé ☃.conf",
];

function project(base: string, marker: string): string {
  const files = NAMES.map((n, i) => `  p.file(${JSON.stringify(`${base}/${n.replaceAll("MARK", marker)}`)}, { content: ${i === 0 ? `new Uint8Array(${JSON.stringify(BYTES)})` : JSON.stringify(`content of ${n}\n$(touch ${marker})\n`)}, mode: 0o640 });`);
  return `export default project("hostile", (p) => {
  p.directory(${JSON.stringify(`${base}/dir $(touch ${marker}) 'q' \`x\``)}, { mode: 0o750 });
${files.join("\n")}
  p.envFile(${JSON.stringify(`${base}/env $(touch ${marker}).env`)}, { set: { WEIRD: ${JSON.stringify(ENV_VALUE.replaceAll("MARK", marker))} }, mode: 0o600 });
});`;
}

async function roundTrip(label: string, base: string, where: (p: string) => string, target: string[], marker: string) {
  const dir = tempDir(`hostkit-hostile-${label}-`);
  const config = infraFile(dir, project(base, marker));
  const applied = await hostkit(["apply", config, ...target, "--confirm"]);
  expect({ code: applied.code, errors: applied.stderr.split("\n").filter((l) => /error/i.test(l)) }).toEqual({ code: 0, errors: [] });

  NAMES.forEach((n, i) => {
    const path = where(`${base}/${n.replaceAll("MARK", marker)}`);
    const want = i === 0 ? Buffer.from(BYTES) : Buffer.from(`content of ${n}\n$(touch ${marker})\n`);
    expect({ name: n, same: existsSync(path) && Buffer.compare(readFileSync(path), want) === 0 }).toEqual({ name: n, same: true });
    expect({ name: n, mode: (statSync(path).mode & 0o777).toString(8) }).toEqual({ name: n, mode: "640" });
  });
  const d = where(`${base}/dir $(touch ${marker}) 'q' \`x\``);
  expect(statSync(d).isDirectory()).toBe(true);
  expect((statSync(d).mode & 0o777).toString(8)).toBe("750");
  const envPath = where(`${base}/env $(touch ${marker}).env`);
  expect(parseEnvFile(readFileSync(envPath, "utf8"))).toEqual({ WEIRD: ENV_VALUE.replaceAll("MARK", marker) });
  // Nothing was ever evaluated: no marker, and `*` is a file, not a glob.
  expect(existsSync(marker)).toBe(false);
  expect(readFileSync(where(`${base}/*`), "utf8")).toBe(`content of *\n$(touch ${marker})\n`);

  const again = await hostkit(["plan", config, ...target, "--detailed-exitcode"]);
  expect({ code: again.code, summary: again.stdout.split("\n").at(-2) }).toEqual({ code: 0, summary: `No changes. ${NAMES.length + 2} resource(s) already match.` });
  expect(existsSync(marker)).toBe(false);
}

describe("hostile names and contents", () => {
  test("--local, in a temp dir", async () => {
    const base = tempDir("hostkit-hostile-local-");
    await roundTrip("local", join(base, "t"), (p) => p, ["--local"], join(base, "pwned"));
  }, 30_000);

  test("--root", async () => {
    const root = join(tempDir("hostkit-hostile-root-"), "root");
    const marker = join(tempDir("hostkit-hostile-mark-"), "pwned");
    await roundTrip("root", "/hostile", (p) => join(root, p), ["--root", root], marker);
  }, 30_000);
});
