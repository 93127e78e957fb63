/**
 * Hand edits on an applied --root tree show up as the right change (and apply puts them back):
 * file content, mode, owner, a unit file edit, a disabled unit (wants symlink removed), an env file
 * `set` value, a deleted directory.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Plan } from "../../src/model/plan.ts";
import { hostkit, idsOf, infraFile, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

const dir = tempDir("hostkit-edits-");
const root = join(dir, "root");
const env = { EDITS_TOKEN: "tok-0123456789-edits" };
const config = infraFile(
  dir,
  `export default project("edits", (p) => {
  p.roots({ config: "/etc/edits", data: "/srv/edits" });
  p.service("web", (s) => {
    s.account({ system: true });
    s.storage("data", { mode: 0o750 });
    s.env("runtime", { set: { PORT: 4000 }, secret: { TOKEN: { env: "EDITS_TOKEN" } }, mode: 0o640, group: s.serviceUser() });
    s.daemon({ exec: ["/usr/bin/web"], env: ["runtime"] });
  });
  p.file("/etc/edits/app.conf", { content: "a=1\\nb=2\\n", mode: 0o640 });
});`,
);
const at = (p: string) => join(root, p);
const UNIT = "/etc/systemd/system/web.service";
const WANTS = "/etc/systemd/system/multi-user.target.wants/web.service";

async function planJson(): Promise<Plan> {
  const r = await hostkit(["plan", config, "--root", root, "--json"], { env });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { plans: Plan[] }).plans[0]!;
}
async function planText(): Promise<string> {
  return (await hostkit(["plan", config, "--root", root], { env })).stdout;
}
/** After each edit: exactly the expected changes, then apply restores a clean state. */
async function expectChanges(want: Record<string, { action: string; reason: string | RegExp }>): Promise<Plan> {
  const plan = await planJson();
  expect(Object.fromEntries(plan.changes.map((c) => [c.key, { action: c.action as string, reason: c.reason as unknown }]))).toEqual(
    Object.fromEntries(Object.entries(want).map(([k, v]) => [k, { action: v.action, reason: typeof v.reason === "string" ? v.reason : expect.stringMatching(v.reason) }])),
  );
  return plan;
}
async function restore(): Promise<void> {
  const r = await hostkit(["apply", config, "--root", root, "--confirm"], { env });
  expect(r.code).toBe(0);
  expect((await planJson()).changes).toEqual([]);
}
// Each edit starts from a converged tree, even when the previous test failed half-way.
afterEach(async () => {
  await hostkit(["apply", config, "--root", root, "--confirm"], { env });
});

beforeAll(async () => {
  const r = await hostkit(["apply", config, "--root", root, "--confirm"], { env });
  expect(r.code).toBe(0);
  expect((await planJson()).changes).toEqual([]);
});

describe("a hand edit shows up as the right change", () => {
  test("file content → update with a unified diff", async () => {
    writeFileSync(at("/etc/edits/app.conf"), "a=1\nb=3\n");
    await expectChanges({ "file:/etc/edits/app.conf": { action: "update", reason: "content differs" } });
    const text = await planText();
    expect(text).toContain("~ file:/etc/edits/app.conf  content differs");
    // The file is 0640: its previous content may be secret, so the plan shows only the declared lines.
    expect(text).toContain("    (previous content not shown: not readable by others (mode 0640): it may hold secrets)\n    +a=1\n    +b=2");
    expect(text).not.toContain("b=3");
    chmodSync(at("/etc/edits/app.conf"), 0o644);
    const text644 = await planText();
    expect(text644).toContain("    -b=3\n    +b=2");
    await restore();
    expect(readFileSync(at("/etc/edits/app.conf"), "utf8")).toBe("a=1\nb=2\n");
  });

  test("file mode → update naming the modes", async () => {
    chmodSync(at("/etc/edits/app.conf"), 0o666);
    await expectChanges({ "file:/etc/edits/app.conf": { action: "update", reason: "mode 0666 → 0640" } });
    await restore();
  });

  test("file owner → update naming the owners (names from the tree's passwd)", async () => {
    chownSync(at("/etc/edits/app.conf"), idsOf(root, "passwd").get("web")!, 0);
    await expectChanges({ "file:/etc/edits/app.conf": { action: "update", reason: "owner web → root" } });
    await restore();
  });

  test("unit file edit → update of the unit, with its diff", async () => {
    writeFileSync(at(UNIT), readFileSync(at(UNIT), "utf8").replace("ExecStart=/usr/bin/web", "ExecStart=/usr/bin/evil"));
    await expectChanges({ "systemd_service:web.service": { action: "update", reason: "unit file differs" } });
    const text = await planText();
    expect(text).toContain("    -ExecStart=/usr/bin/evil\n    +ExecStart=/usr/bin/web");
    await restore();
  });

  test("disabled unit (wants symlink removed) → update: not enabled; apply re-creates the symlink", async () => {
    unlinkSync(at(WANTS));
    await expectChanges({ "systemd_service:web.service": { action: "update", reason: "not enabled (disabled)" } });
    await restore();
    expect(readlinkSync(at(WANTS))).toBe(UNIT);
  });

  test("env file `set` value → update naming the key; the secret stays a reference", async () => {
    const path = at("/etc/edits/web/runtime.env");
    writeFileSync(path, readFileSync(path, "utf8").replace("PORT=4000", "PORT=9999"));
    const plan = await expectChanges({ "env_file:/etc/edits/web/runtime.env": { action: "update", reason: "PORT differs" } });
    // The host's value is never kept or shown: HostKit cannot know whether it was a secret.
    expect(plan.changes[0]!.before).toMatchObject({ set: {}, keys: ["PORT", "TOKEN"] });
    const text = await planText();
    expect(text).toContain('~ PORT: (secret value changed) → "4000"');
    expect(JSON.stringify(plan) + text).not.toContain("9999");
    expect(JSON.stringify(plan) + text).not.toContain(env.EDITS_TOKEN);
    await restore();
    expect(readFileSync(path, "utf8")).toContain(`TOKEN=${env.EDITS_TOKEN}`);
  });

  test("deleted directory → create", async () => {
    rmSync(at("/srv/edits/web"), { recursive: true });
    await expectChanges({ "directory:/srv/edits/web": { action: "create", reason: "directory does not exist" } });
    await restore();
  });
});
