/**
 * src/packages on a real Debian 12 host (a dedicated Incus container, through HostKit's SSH runner):
 * os-release → repository and manager; the ONE installed-state query before and after; the
 * non-interactive install argv (with `update`) for names given directly and for a semantic name
 * resolved through the loopback Repology server's recorded responses (`a2ps` → debian_12 `a2ps`);
 * a failing install's own error line; removal.
 *
 * Installs packages, so it runs only on a throwaway Incus container (never on a `remote` host).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { run, INCUS_SH } from "../hosts/testhost.ts";
import { installCommands, installedQuery, installErrorLine, parseInstalled, removeCommands } from "../../src/packages/installed.ts";
import { chooseManager, MANAGER_BINARY, PACKAGE_MANAGERS, parseOsRelease, repologyRepository } from "../../src/packages/os-release.ts";
import { RepologyClient } from "../../src/packages/repology.ts";
import { openSsh, type SshRunner } from "../../src/targets/ssh.ts";
import { text } from "../../src/targets/runner.ts";
import { startRepologyServer, type RepologyServer } from "../packages/repology-server.ts";
import { cannotRun } from "../helpers/real-host.ts";
import { mustHost, removeTempDirs, SETUP_MS, tempDir, TEST_MS, TOOL, type Host } from "./harness.ts";

const PKGS = { name: "hostkit-it-pkgs", port: 2231 };
const enabled = !cannotRun("test/integration/packages-argv.test.ts", TOOL === "incus" ? false : "needs HOSTKIT_INTEGRATION_TOOL=incus (it installs packages, so only on a throwaway container)");

describe.skipIf(!enabled)("package-manager commands on a real Debian 12 host", () => {
  let h: Host;
  let r: SshRunner;
  let server: RepologyServer;
  const exec = async (argv: string[]) => {
    const res = await r.exec(argv);
    return { code: res.code, stdout: text(res.stdout), stderr: text(res.stderr) };
  };

  beforeAll(async () => {
    h = await mustHost({ name: PKGS.name, port: PKGS.port });
    const dir = tempDir("pkgs-");
    r = await openSsh({ host: h.host, port: h.port, user: h.user, ...(h.identityFile ? { identityFile: h.identityFile } : {}), agent: false, acceptHosts: true, knownHostsFile: join(dir, "known_hosts") });
    server = startRepologyServer();
  }, SETUP_MS);

  afterAll(async () => {
    await r?.close();
    server?.stop();
    if (h) await run(["bash", INCUS_SH, "teardown", PKGS.name]);
    removeTempDirs();
  }, SETUP_MS);

  test(
    "os-release, query, install (update first), query again, failure line, removal",
    async () => {
      const os = parseOsRelease((await exec(["cat", "/etc/os-release"])).stdout);
      const repo = repologyRepository(os);
      expect(repo).toBe("debian_12");
      const found = await exec(["sh", "-c", `for b in ${PACKAGE_MANAGERS.map((m) => MANAGER_BINARY[m]).join(" ")}; do command -v "$b" >/dev/null && echo "$b"; done; true`]);
      const available = PACKAGE_MANAGERS.filter((m) => found.stdout.split("\n").includes(MANAGER_BINARY[m]));
      const choice = chooseManager(os, available);
      expect(choice).toEqual({ ok: true, manager: "apt" });

      // A semantic name resolved through the recorded Repology response for project a2ps.
      const client = new RepologyClient({ cacheDir: join(tempDir("pkgs-cache-"), "repology"), baseUrl: server.url });
      const a2ps = await client.resolve("a2ps", repo!);
      expect(a2ps.name).toBe("a2ps");
      const names = ["jq", "tree", a2ps.name, "bash"];

      const q = installedQuery("apt", names);
      const before = await exec(q.argv);
      expect(before.code).toBe(1); // some unknown to dpkg
      const s0 = parseInstalled("apt", names, before);
      expect([s0.get("jq"), s0.get("tree"), s0.get("a2ps")]).toEqual([null, null, null]);
      expect(s0.get("bash")).toMatch(/^\d/);

      const missing = names.filter((n) => s0.get(n) === null);
      const cmds = installCommands("apt", missing, { update: true, lockTimeoutSeconds: 120 });
      expect(cmds.length).toBe(2);
      for (const c of cmds) {
        const res = await exec(c);
        if (res.code !== 0) throw new Error(`${c.join(" ")} → exit ${res.code}: ${installErrorLine(res.stderr)}`);
      }

      const after = await exec(q.argv);
      expect(after.code).toBe(0);
      const s1 = parseInstalled("apt", names, after);
      for (const n of names) expect(s1.get(n)).toMatch(/^\d/);
      // Repology recorded the source version 1:4.14-8 for debian_12: the installed binary agrees here.
      expect(s1.get("a2ps")).toBe("1:4.14-8");

      // An install that cannot succeed reports apt's own error line.
      const bad = await exec(installCommands("apt", ["hostkit-no-such-package"])[0]!);
      expect(bad.code).toBe(100);
      expect(installErrorLine(bad.stderr)).toBe("E: Unable to locate package hostkit-no-such-package");

      // After removal the same one query reports it absent (jq has no conffiles: no config-files row).
      const rm = await exec(removeCommands("apt", ["jq"])[0]!);
      expect(rm.code).toBe(0);
      const s2 = parseInstalled("apt", names, await exec(q.argv));
      expect(s2.get("jq")).toBeNull();
      expect(s2.get("tree")).toMatch(/^\d/);
    },
    TEST_MS * 3,
  );
});
