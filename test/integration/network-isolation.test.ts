/**
 * `network: "loopback"` really blocks outbound connections from the service: the first seed example
 * applied to the PRIVILEGED container (systemd enforces IPAddressDeny= only there, see
 * ../shared/reference/incus-testhost/FACTS.md), its stand-in app trying loopback and an address that
 * is reachable from the same host outside the sandbox.
 *
 * Remote mode: runs on the configured host when HOSTKIT_INTEGRATION_OUTBOUND=HOST:PORT names a TCP
 * endpoint that host can reach (a real VM enforces IP filtering).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { announceSkip, ENABLED, eventually, hostkit, mustHost, onHost, REPO, removeTempDirs, SETUP_MS, stackLines, tempDir, TEST_MS, TOOL, type Host } from "./harness.ts";
import { CLEAN_EXAMPLE, currentJournal, EXAMPLE, installExampleApp, remoteFlags } from "./fixtures.ts";

announceSkip("test/integration/network-isolation.test.ts");
const remoteWithout = TOOL === "remote" && !process.env.HOSTKIT_INTEGRATION_OUTBOUND;
if (remoteWithout) console.log("[skip] test/integration/network-isolation.test.ts: remote mode needs HOSTKIT_INTEGRATION_OUTBOUND=HOST:PORT (an address the host can reach)");

const FILE = join(REPO, "examples/first-example.ts");
const probe = (target: string) => `timeout 3 bash -c 'exec 3<>/dev/tcp/${target.replace(":", "/")}'`;

describe.skipIf(!ENABLED || remoteWithout)("network: loopback, enforced (privileged container)", () => {
  let h: Host;
  let outbound = "";

  beforeAll(async () => {
    h = await mustHost({ privileged: true });
    // An address outside the host that answers TCP: the default gateway's DNS (the Incus bridge runs dnsmasq).
    outbound = process.env.HOSTKIT_INTEGRATION_OUTBOUND ?? `${(await onHost(h, "ip -4 route show default | awk '{print $3; exit}'")).trim()}:53`;
    await installExampleApp(h, outbound);
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await onHost(h, CLEAN_EXAMPLE);
    removeTempDirs();
  }, TEST_MS);

  test("the address is reachable from the host outside the sandbox (control)", async () => {
    const r = await h.sh(probe(outbound));
    expect({ target: outbound, code: r.code }).toEqual({ target: outbound, code: 0 });
  }, TEST_MS);

  test("inside the service rendered by HostKit: loopback connects, the outbound connection is blocked", async () => {
    const r = await hostkit(["apply", FILE, ...remoteFlags(h, join(tempDir("hk-net-"), "known_hosts")), "--confirm"], { waitForLock: true });
    expect(stackLines(r.stderr)).toEqual([]);
    expect({ code: r.code, stderr: r.code ? r.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect((await onHost(h, `systemctl show -p IPAddressDeny --value ${EXAMPLE.unit}`)).trim()).not.toBe("");
    const journal = await eventually(async () => {
      const j = await currentJournal(h);
      return j.includes("hk-it: probes done") && j;
    }, 30_000, "the service's probes in the journal");
    expect(journal).toContain("hk-it: connect 127.0.0.1:22 ok");
    expect(journal).toContain(`hk-it: connect ${outbound} blocked`);
    // The same account outside the sandbox reaches it: the block is the unit's IPAddressDeny=.
    await onHost(h, `runuser -u ${EXAMPLE.user} -- ${probe(outbound)}`);
  }, TEST_MS);
});
