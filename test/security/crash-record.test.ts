/**
 * Crash records (issue 8, item 11): `kill -9` of the applier parent only, mid-write. The orphaned
 * writer finishes the write, so the change lands while its applier is dead. The run record must
 * not claim the change was "not applied": it says "unknown", and `down --last` re-reads the host,
 * sees the change's applied state and reverses it (saying so) instead of "applied nothing".
 *
 * How the kill lands mid-write, deterministically: `sync` is found through PATH by the fixed write
 * script right after the payload is in its temp file and before the rename. A `sync` first in PATH
 * (this test's, which then runs the real one) waits for a "go" file, so the test kills the parent
 * exactly while the writer is between payload and rename; then it lets the writer go on.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, binaryPath, cleanupDirs, hk, ok, readJson, tempDir } from "./plan-helpers.ts";

const INFRA = `import { project } from "hostkit";
export default project("crash", (p) => {
  p.directory("/srv/crash", { mode: 0o755 });
  p.file("/srv/crash/a.conf", { content: \`a=\${process.env.V ?? "1"}\\n\`, mode: 0o644 });
});
`;
const A = "file:/srv/crash/a.conf";

beforeAll(buildBinary, 180_000);
afterAll(cleanupDirs);

const until = async (what: () => boolean) => {
  while (!what()) await Bun.sleep(20);
};

/** v1 applied (tracked); a v2 apply whose parent is SIGKILLed while its writer waits before the rename. */
async function killedMidWrite(name: string, o: { killWriterToo: boolean }) {
  const dir = tempDir(name);
  writeFileSync(join(dir, "infra.ts"), INFRA);
  const root = join(dir, "r");
  await ok(["apply", "infra.ts", "--root", root, "--confirm", "--track"], dir, { V: "1" });
  const bin = join(dir, "bin");
  const pause = join(dir, "pause");
  mkdirSync(bin);
  mkdirSync(pause);
  writeFileSync(join(bin, "sync"), `#!/bin/sh\nif [ ! -e "$HK_PAUSE/go" ]; then : > "$HK_PAUSE/at-sync"; while [ ! -e "$HK_PAUSE/go" ]; do sleep 0.05; done; fi\nexec ${Bun.which("sync")} "$@"\n`);
  chmodSync(join(bin, "sync"), 0o755);
  // setsid: the applier leads its own process group, so the second case can kill its writer too.
  const proc = Bun.spawn(["setsid", binaryPath(), "apply", "infra.ts", "--root", root, "--confirm", "--track"], {
    cwd: dir,
    env: { ...process.env, NODE_ENV: "production", NO_COLOR: "1", HOSTKIT_PLAN_KEY: "", V: "2", HK_PAUSE: pause, PATH: `${bin}:${process.env.PATH}` },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  await until(() => existsSync(join(pause, "at-sync")));
  if (o.killWriterToo) process.kill(-proc.pid, "SIGKILL");
  else proc.kill("SIGKILL");
  await proc.exited;
  const runs = join(dir, ".hostkit/runs");
  const id = readdirSync(runs).sort().pop()!;
  const record = readJson(join(runs, id, "run.json"));
  writeFileSync(join(pause, "go"), "");
  return { dir, root, id, record, conf: join(root, "srv/crash/a.conf") };
}

describe("kill -9 of the applier parent mid-write", () => {
  test("the write lands; the record says unknown; down --last re-reads the host and reverts it", async () => {
    const c = await killedMidWrite("landed", { killWriterToo: false });
    // Written before the ops ran: never "pending" for a change whose write was under way.
    expect(c.record.status).toBe("running");
    expect(c.record.changes.find((x: { key: string }) => x.key === A).status).toBe("started");
    await until(() => readFileSync(c.conf, "utf8") === "a=2\n"); // the orphaned writer finished the rename

    const runs = await ok(["runs", "infra.ts", "--id", c.id], c.dir);
    expect(runs.stdout).toContain("cut short");
    expect(runs.stdout).toContain(`unknown  ${A}`);
    expect(runs.stdout).toContain("1 unknown (the run ended while applying)");

    const d = await ok(["down", "--last", "--root", c.root, "--out", "d.json", "infra.ts"], c.dir);
    expect(d.stderr).not.toContain("applied nothing");
    expect(d.stdout).toContain(`${A}: run ${c.id} ended while applying it (recorded "unknown"); the host shows its applied state, so this down plan reverses it`);
    expect(readJson(join(c.dir, "d.json")).changes.map((x: { action: string; key: string }) => `${x.action} ${x.key}`)).toEqual([`update ${A}`]);

    await ok(["apply", "--plan", "d.json", "--root", c.root, "--confirm", "--break-lock"], c.dir);
    expect(readFileSync(c.conf, "utf8")).toBe("a=1\n");
    expect((statSync(c.conf).mode & 0o7777).toString(8)).toBe("644");
  });

  test("a write that did not land (its writer killed too): down --last says so and reverses nothing", async () => {
    const c = await killedMidWrite("not-landed", { killWriterToo: true });
    expect(c.record.changes.find((x: { key: string }) => x.key === A).status).toBe("started");
    expect(readFileSync(c.conf, "utf8")).toBe("a=1\n");
    const d = await hk(["down", "--last", "--root", c.root, "--out", "d.json", "infra.ts"], c.dir);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain(`${A}: run ${c.id} ended while applying it (recorded "unknown"); the host does not show its applied state, so it is not reversed`);
    expect(readJson(join(c.dir, "d.json")).changes).toEqual([]);
  });
});
