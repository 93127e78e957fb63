/**
 * Several hosts: `--host a --host b` plans and applies both containers in parallel (each host's
 * apply runs a 1.5 s command that stamps its start and end on the host: the two runs overlap, which a
 * one-after-the-other apply cannot do, whatever the machine's speed) and reports per host.
 *
 * Remote mode: needs two hosts declared in the infra-file config (examples/integration-hosts.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cannotRun } from "../helpers/real-host.ts";
import { ENABLED, getHost, SKIP_REASON, hostkit, hostLine, onHost, removeTempDirs, SETUP_MS, stackLines, tag, tempDir, TEST_MS, TOOL, writeInfra, type Host } from "./harness.ts";

// Both hosts are brought up before the tests are declared, so a missing one is a reported skip (a
// failure under CI), never a test that returns early and counts as passed.
const ha = ENABLED ? await getHost() : undefined;
const hb = !ENABLED ? undefined : TOOL === "incus" ? await getHost({ privileged: true }) : await getHost({ remoteIndex: 1 });
const skip = !ENABLED ? SKIP_REASON : ha && "skip" in ha ? ha.skip : hb && "skip" in hb ? hb.skip : false;

describe.skipIf(cannotRun("test/integration/multi-host.test.ts", skip))("several hosts in parallel", () => {
  const a = ha as Host;
  const b = hb as Host;
  let file = "";
  const t = tag();
  const data = `/srv/hk-multi-${t}`;
  // Start and end times of the pause command, written on each host (the containers share one clock).
  const stamps = `/run/hk-multi-${t}.stamps`;
  const clean = `rm -rf ${data} ${stamps}; exit 0`;

  beforeAll(async () => {
    const dir = tempDir("hk-multi-");
    const kh = join(dir, "known_hosts");
    file = writeInfra(
      dir,
      "multi.ts",
      `import { project } from "hostkit";
export default project("hkmulti", (p) => {
  ${hostLine("a", a, { knownHostsFile: kh })}
  ${hostLine("b", b, { knownHostsFile: kh })}
  p.roots({ data: "/srv" });
  p.service("hk-multi-${t}", (s) => {
    s.storage("data", { mode: 0o750 });
    s.command("pause", { exec: ["sh", "-c", 'date +%s.%N >> "$0"; sleep 1.5; date +%s.%N >> "$0"', "${stamps}"] });
  });
});
`,
    );
  }, SETUP_MS);

  afterAll(async () => {
    if (a) await onHost(a, clean);
    if (b) await onHost(b, clean);
    removeTempDirs();
  }, TEST_MS);

  test("plan --host a --host b: one plan per host", async () => {
    const r = await hostkit(["plan", file, "--host", "a", "--host", "b"]);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Plan for hkmulti on a (${a.user}@${a.host}:${a.port})`);
    expect(r.stdout).toContain(`Plan for hkmulti on b (${b.user}@${b.host}:${b.port})`);
    const json = JSON.parse((await hostkit(["plan", file, "--host", "a", "--host", "b", "--json"])).stdout) as { plans: { target: { name: string } }[] };
    expect(json.plans.map((p) => p.target.name)).toEqual(["a", "b"]);
  }, TEST_MS);

  test("apply --host a --host b runs the hosts in parallel (their commands overlap in time) and reports per host", async () => {
    const apply = (...hosts: string[]) => hostkit(["apply", file, ...hosts.flatMap((x) => ["--host", x]), "--confirm"], { waitForLock: true });
    await onHost(a, clean);
    await onHost(b, clean);
    const alone = [await apply("a"), await apply("b")];
    for (const r of alone) expect({ code: r.code, errors: stackLines(r.stderr) }).toEqual({ code: 0, errors: [] });
    await onHost(a, clean);
    await onHost(b, clean);
    const both = await apply("a", "b");
    expect(stackLines(both.stderr)).toEqual([]);
    expect(both.code).toBe(0);
    const sum = alone[0]!.ms + alone[1]!.ms;
    console.log(`[multi-host] a alone ${alone[0]!.ms.toFixed(0)} ms + b alone ${alone[1]!.ms.toFixed(0)} ms = ${sum.toFixed(0)} ms; both at once ${both.ms.toFixed(0)} ms`);
    // The invariant, not a speed: each host's command ran while the other's was running.
    const span = async (h: Host) => (await onHost(h, `cat ${stamps}`)).trim().split("\n").map(Number);
    const [aStart, aEnd] = await span(a);
    const [bStart, bEnd] = await span(b);
    expect({ aStartsBeforeBEnds: aStart! < bEnd!, bStartsBeforeAEnds: bStart! < aEnd! }).toEqual({ aStartsBeforeBEnds: true, bStartsBeforeAEnds: true });
    // Per host: each plan, and each change's progress line prefixed with its host (progress lines go to
    // stdout or stderr depending on their level: look at both, as a terminal shows them).
    const out = both.stdout + both.stderr;
    expect(out).toContain("Plan for hkmulti on a");
    expect(out).toContain("Plan for hkmulti on b");
    for (const host of ["a", "b"]) {
      expect(out).toMatch(new RegExp(`\\[${host}\\] directory:${data}  \\d+ ms`));
      expect(out).toMatch(new RegExp(`\\[${host}\\] command:pause  \\d+ ms`));
    }
    expect((await onHost(a, `stat -c %a ${data}`)).trim()).toBe("750");
    expect((await onHost(b, `stat -c %a ${data}`)).trim()).toBe("750");
  }, TEST_MS);

  test("one host failing does not hide the other's result", async () => {
    // b's directory is gone (so its service changed and its command runs) and the command's stamps file
    // is a directory (so the command fails): b fails at apply; a (already converged) has nothing to do.
    await onHost(b, `rm -rf ${data} ${stamps}; mkdir ${stamps}`);
    const r = await hostkit(["apply", file, "--host", "a", "--host", "b", "--confirm"], { waitForLock: true });
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Plan for hkmulti on a");
    expect(r.stdout).toMatch(/Plan for hkmulti on a[^\n]*\n+No changes/);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(new RegExp(`\\[b\\] ✗ command:\\S*pause failed`));
    expect(r.stderr).toMatch(/^error: \[b\] run \S+ failed\.$/m);
    expect(out).toMatch(/failed: command:\S*pause/);
  }, TEST_MS);
});
