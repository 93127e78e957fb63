/**
 * Modes: every common octal mode keeps working, and the decimal slip (`mode: 750`) is refused at load
 * time — by how the literal is written, or, for a computed value, because the result is nonsense.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/load.ts";
import { implausibleMode, octalReading } from "../../src/model/mode.ts";

const dir = mkdtempSync(join(tmpdir(), "hostkit-modes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COMMON = ["0o600", "0o640", "0o644", "0o660", "0o700", "0o750", "0o755", "0o2775", "0o1777", "0o4755", "0o400", "0o444", "0o711", "0o2750", "0o0", "0o3777"];

async function modesOf(body: string): Promise<Record<string, number>> {
  const file = join(dir, `m${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, `import { project } from "hostkit";\nexport default project("m", (p) => {\n${body}\n});\n`);
  const p = await load(file);
  return Object.fromEntries(p.resources.filter((r) => "mode" in r).map((r) => [(r as { path: string }).path, (r as { mode: number }).mode]));
}

test("every common mode written as 0o… loads as that mode (literal and computed)", async () => {
  const literal = COMMON.map((m, i) => `  p.directory("/srv/l${i}", { mode: ${m} });`).join("\n");
  const computed = `  for (const [i, m] of [${COMMON.join(", ")}].entries()) p.file(\`/srv/c\${i}\`, { content: "x", mode: m });`;
  const got = await modesOf(`${literal}\n${computed}`);
  COMMON.forEach((m, i) => {
    expect(got[`/srv/l${i}`]).toBe(Number(m));
    expect(got[`/srv/c${i}`]).toBe(Number(m));
  });
});

test("decimal literals are refused with the octal they meant; aliases and strings still work", async () => {
  await expect(modesOf(`  p.directory("/srv/a", { mode: 755 });`)).rejects.toThrow(/mode 755 is written as a decimal number\n  hint: did you mean 0o755\?/);
  await expect(modesOf(`  p.directory("/srv/a", {\n    owner: "root",\n    mode: 700,\n  });`)).rejects.toThrow(/mode 700 is written as a decimal number/);
  await expect(modesOf(`  p.file("/srv/b", { content: "x", mode: 420 });`)).rejects.toThrow(/mode 420 is written as a decimal number\n  hint: did you mean 0o420\?/);
  // A decimal that is not an octal spelling still gets the octal it stands for.
  await expect(modesOf(`  p.file("/srv/b", { content: "x", mode: 488 });`)).rejects.toThrow(/hint: modes are octal: decimal 488 is 0o750/);
  expect(await modesOf(`  p.file("/srv/b", { content: "x", mode: "public_file" });\n  p.directory("/srv/d", { mode: "0750" });`)).toEqual({ "/srv/b": 0o644, "/srv/d": 0o750 });
  // A later declaration's decimal mode is not blamed on an earlier one.
  await expect(modesOf(`  p.directory("/srv/a", { mode: 0o755 }); p.directory("/srv/b", { mode: 0o700 });`)).resolves.toEqual({ "/srv/a": 0o755, "/srv/b": 0o700 });
});

test("implausibleMode catches every decimal spelling of a common mode, and no common mode", () => {
  for (const m of COMMON) expect(implausibleMode(Number(m))).toBeUndefined();
  for (const d of [600, 640, 644, 660, 700, 750, 755, 444, 711]) {
    expect({ d, why: implausibleMode(d) === undefined ? "accepted" : "refused" }).toEqual({ d, why: "refused" });
    expect(octalReading(d)).toBe(parseInt(String(d), 8));
  }
  expect(implausibleMode(0o4644)).toMatch(/setuid without the owner's execute bit/);
  expect(implausibleMode(0o1776)).toMatch(/sticky bit without others' execute bit/);
});
