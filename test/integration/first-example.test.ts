/**
 * The first seed example (examples/first-example.ts, unmodified) applied with the compiled binary to a
 * real systemd host over SSH (raw `--remote` flags: the example's own host is not reachable here), then
 * checked on the host itself: account, storage modes/owners, unit enabled + active + in the journal,
 * the sandbox really enforced from inside the service, a clean re-plan, and drift after a hand edit.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { announceSkip, ENABLED, eventually, hostkit, mustHost, onHost, REPO, removeTempDirs, SETUP_MS, stackLines, tempDir, TEST_MS, type Host } from "./harness.ts";
import { CLEAN_EXAMPLE, currentJournal, EXAMPLE, installExampleApp, remoteFlags } from "./fixtures.ts";

announceSkip("test/integration/first-example.test.ts");

const FILE = join(REPO, "examples/first-example.ts");

describe.skipIf(!ENABLED)("first seed example on a real systemd host", () => {
  let h: Host;
  let flags: string[];

  beforeAll(async () => {
    h = await mustHost();
    flags = remoteFlags(h, join(tempDir("hk-fe-"), "known_hosts"));
    await installExampleApp(h);
    await hostkitBinaryWarm();
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await onHost(h, CLEAN_EXAMPLE);
    removeTempDirs();
  }, TEST_MS);

  async function hostkitBinaryWarm(): Promise<void> {
    const r = await hostkit(["--version"]);
    expect(r.code).toBe(0);
  }

  test("on a fresh host the plan lists every create and exits 2 with --detailed-exitcode", async () => {
    const r = await hostkit(["plan", FILE, ...flags, "--detailed-exitcode"]);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(2);
    for (const key of [`account:${EXAMPLE.user}`, `directory:${EXAMPLE.data}`, `directory:${EXAMPLE.state}`, `systemd_service:${EXAMPLE.unit}`]) {
      expect(r.stdout).toContain(key);
    }
    expect(r.stderr).toContain("recorded host key"); // first contact with --accept-hosts
  }, TEST_MS);

  test("apply succeeds", async () => {
    const r = await hostkit(["apply", FILE, ...flags, "--confirm"], { waitForLock: true });
    expect(stackLines(r.stderr)).toEqual([]);
    expect({ code: r.code, stderr: r.code ? r.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect(r.stderr).not.toContain("recorded host key"); // the key was recorded by the first run
  }, TEST_MS);

  test("the account exists: a system account", async () => {
    const line = (await onHost(h, `getent passwd ${EXAMPLE.user}`)).trim();
    const [name, , uid] = line.split(":");
    expect(name).toBe(EXAMPLE.user);
    expect(Number(uid)).toBeLessThan(1000);
    expect((await onHost(h, `id -gn ${EXAMPLE.user}`)).trim()).toBe(EXAMPLE.user);
  }, TEST_MS);

  test("the storage directories have their modes and owners", async () => {
    const out = await onHost(h, `stat -c '%n %a %U %G' ${EXAMPLE.data} ${EXAMPLE.state}`);
    expect(out.trim().split("\n")).toEqual([`${EXAMPLE.data} 755 ${EXAMPLE.user} ${EXAMPLE.user}`, `${EXAMPLE.state} 750 ${EXAMPLE.user} ${EXAMPLE.user}`]);
  }, TEST_MS);

  test("the unit is enabled and active, runs as the account, and the journal shows it ran", async () => {
    expect((await onHost(h, `systemctl is-enabled ${EXAMPLE.unit}; systemctl is-active ${EXAMPLE.unit}`)).trim().split("\n")).toEqual(["enabled", "active"]);
    const journal = await eventually(async () => {
      const j = await currentJournal(h);
      return j.includes("hk-it: probes done") && j;
    }, 20_000, "the service's probes in the journal");
    expect(journal).toContain(`hk-it: started as ${EXAMPLE.user} in ${EXAMPLE.source}: exograph.index.hex --web --port 4200`);
  }, TEST_MS);

  test("isolation is enforced from inside the service: writable storage yes, anything else no", async () => {
    const journal = await currentJournal(h);
    expect(journal).toContain(`hk-it: write ${EXAMPLE.data} ok`);
    expect(journal).toContain(`hk-it: write ${EXAMPLE.state} ok`);
    // World-writable and outside the writable paths: only ProtectSystem=strict stops the write...
    expect(journal).toContain(`hk-it: write ${EXAMPLE.outside} denied`);
    expect(journal).toContain(`hk-it: write ${EXAMPLE.source} denied`);
    // ...which the same account, outside the sandbox, can do: the denial is the sandbox's.
    await onHost(h, `runuser -u ${EXAMPLE.user} -- sh -c ': > ${EXAMPLE.outside}/.control && rm ${EXAMPLE.outside}/.control'`);
    expect(journal).toContain("hk-it: connect 127.0.0.1:22 ok"); // network: "loopback" keeps loopback
  }, TEST_MS);

  test("a second plan shows zero changes", async () => {
    const r = await hostkit(["plan", FILE, ...flags, "--detailed-exitcode"]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toContain("No changes.");
    const json = await hostkit(["plan", FILE, ...flags, "--json"]);
    const plan = (JSON.parse(json.stdout) as { plans: { changes: unknown[]; summary: Record<string, number> }[] }).plans[0]!;
    expect(plan.changes).toEqual([]);
    expect(plan.summary.noop).toBe(4);
  }, TEST_MS);

  test("a hand change on the host shows as drift in the next plan, and apply puts it back", async () => {
    await onHost(h, `chmod 0700 ${EXAMPLE.data}; echo '# edited by hand' >> /etc/systemd/system/${EXAMPLE.unit}`);
    const r = await hostkit(["plan", FILE, ...flags, "--detailed-exitcode"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`~ directory:${EXAMPLE.data}.*\\n?.*mode 0700 → 0755`));
    expect(r.stdout).toContain(`~ systemd_service:${EXAMPLE.unit}`);
    expect(r.stdout).toContain("unit file differs");
    expect(r.stdout).toContain("# edited by hand"); // the diff shows the hand edit being removed
    expect(r.stdout).not.toContain(`directory:${EXAMPLE.state}`);

    const fix = await hostkit(["apply", FILE, ...flags, "--confirm"], { waitForLock: true });
    expect({ code: fix.code, stderr: fix.code ? fix.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect((await onHost(h, `stat -c %a ${EXAMPLE.data}; grep -c 'edited by hand' /etc/systemd/system/${EXAMPLE.unit} || true`)).trim().split("\n")).toEqual(["755", "0"]);
    const again = await hostkit(["plan", FILE, ...flags, "--detailed-exitcode"]);
    expect(again.code).toBe(0);
  }, TEST_MS);
});
