/**
 * The revert argv on a real systemd host (an Incus container, driven with `incus exec`; see
 * test/hosts/testhost.ts): the armed transient timer restores the saved table by itself, and a
 * disarmed one is gone before it can fire. A dedicated instance, because the test loads drop-policy
 * rulesets. It exercises only the mechanism; the SSH verification step is the applier's (lead).
 * Skipped, with the reason printed, when no test host is configured.
 */
import { describe, expect, test } from "bun:test";
import { cannotRun } from "../helpers/real-host.ts";
import { render } from "../../src/firewall/nftables.ts";
import { armArgv, disarmArgv, listTableArgv, loadArgv, revertFileContent, revertSteps, timerStateArgv, validateArgv } from "../../src/firewall/revert.ts";
import { isSkip, testHost, type IncusTestHost } from "../hosts/testhost.ts";
import { examples } from "../fixtures/firewall/index.ts";

// Brought up before the tests are declared: a missing host is a printed skip (a failure under CI),
// never a test that returns early and counts as passed.
const got = process.env.HOSTKIT_INTEGRATION_TOOL ? await testHost({ name: "hostkit-it-fw", port: 2241 }) : { skip: "HOSTKIT_INTEGRATION_TOOL is not set" };
const why = isSkip(got) ? got.skip : got.kind !== "incus" ? "needs an Incus test host (incus exec), not a remote one" : false;
const host: IncusTestHost | undefined = why || isSkip(got) || got.kind !== "incus" ? undefined : got;
const SKIP = cannotRun("test/firewall/revert-systemd.test.ts", why);

async function run(argv: string[], stdin?: string): Promise<string> {
  const r = await host!.exec(argv, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
const put = (path: string, text: string) => run(["sh", "-c", 'mkdir -p "$(dirname "$1")" && cat > "$1"', "put", path], text);
const listing = async () => (await host!.exec(listTableArgv())).stdout;

async function until(what: string, fn: () => Promise<boolean>, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(500);
  }
}

/** Fresh start: v1 loaded, a foreign table beside it. Returns v1's listing. */
async function start(id: string): Promise<{ v1: string; savedFile: string; foreign: string }> {
  await run(["sh", "-c", "nft delete table inet hostkit 2>/dev/null; nft delete table ip hkfwforeign 2>/dev/null; nft add table ip hkfwforeign; nft add chain ip hkfwforeign c; true"]);
  await put("/tmp/hkfw/v1.nft", render(examples["ranges, udp, interface, raw"]!));
  await put("/tmp/hkfw/v2.nft", render(examples.seed!));
  await run(loadArgv("/tmp/hkfw/v1.nft"));
  const v1 = await listing();
  const { savedFile } = revertSteps({ id, newFile: "/tmp/hkfw/v2.nft" });
  await put(savedFile, revertFileContent(v1));
  await run(validateArgv(savedFile));
  await run(validateArgv("/tmp/hkfw/v2.nft"));
  return { v1, savedFile, foreign: await run(["nft", "list", "table", "ip", "hkfwforeign"]) };
}

describe.skipIf(SKIP)("on a minimal Debian host", () => {
  // The controller has /etc/protocols; the host may not (no netbase): check there too.
  test("every example passes nft -c -f on the host", async () => {
    for (const [name, policy] of Object.entries(examples)) {
      await put("/tmp/hkfw/check.nft", render(policy));
      const r = await host!.exec(validateArgv("/tmp/hkfw/check.nft"));
      expect(`${name}: ${r.code} ${r.stderr}`).toBe(`${name}: 0 `);
    }
  }, 60_000);
});

describe.skipIf(SKIP)("revert timer on systemd", () => {
  test("armed and not disarmed: the host restores the previous table by itself", async () => {
    const id = `t${Date.now().toString(36)}`;
    const { v1, savedFile, foreign } = await start(id);
    await run(armArgv(id, savedFile, 5));
    await run(loadArgv("/tmp/hkfw/v2.nft"));
    const v2 = await listing();
    expect(v2).not.toBe(v1);
    expect(v2).toContain("policy drop;");
    await until("the revert to fire", async () => (await listing()) === v1);
    expect(await run(["nft", "list", "table", "ip", "hkfwforeign"])).toBe(foreign);
    // --collect: the fired units are unloaded, the name is free again.
    await until("the timer to be unloaded", async () => (await run(timerStateArgv(id))).trim() === "inactive");
    await run(["rm", "-f", savedFile]);
  }, 180_000);

  test("disarmed: the new table stays and the timer is gone", async () => {
    const id = `d${Date.now().toString(36)}`;
    const { v1, savedFile } = await start(id);
    await run(armArgv(id, savedFile, 30));
    expect((await run(timerStateArgv(id))).trim()).toBe("active");
    await run(loadArgv("/tmp/hkfw/v2.nft"));
    await run(disarmArgv(id));
    const unit = `hostkit-fw-revert-${id}`;
    expect((await run(["systemctl", "show", "--property=LoadState", "--value", `${unit}.timer`])).trim()).toBe("not-found");
    expect((await run(["systemctl", "show", "--property=LoadState", "--value", `${unit}.service`])).trim()).toBe("not-found");
    const after = await listing();
    expect(after).not.toBe(v1);
    expect(after).toContain("policy drop;");
    await run(["rm", "-f", savedFile]);
  }, 180_000);
});
