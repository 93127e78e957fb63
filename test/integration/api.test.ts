/**
 * The runtime API over ONE explicit connection: `SSH.Connection.open` once, several `plan` calls and an
 * `apply` through `Target.ssh(name, { …, runner: conn })`, all on that one connection (one connect,
 * one session channel), which the calls never close; then `SSH.Connection.close`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { apply, load, plan, SSH, Target } from "../../src/api.ts";
import type { SshRunner } from "../../src/targets/ssh.ts";
import { announceSkip, ENABLED, mustHost, onHost, removeTempDirs, SETUP_MS, tag, tempDir, TEST_MS, writeInfra, type Host } from "./harness.ts";

announceSkip("test/integration/api.test.ts");

describe.skipIf(!ENABLED)("runtime API: one explicit SSH connection for several calls", () => {
  let h: Host;
  let dir: string;
  const t = tag();
  const data = `/srv/hk-api-${t}`;

  beforeAll(async () => {
    h = await mustHost();
    dir = tempDir("hk-api-");
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await onHost(h, `rm -rf ${data}`);
    removeTempDirs();
  }, TEST_MS);

  test("open once, plan twice, apply, plan again: 1 connect, 1 channel; close ends it", async () => {
    const file = writeInfra(
      dir,
      "api.ts",
      `import { project } from "hostkit";
export default project("hkapi", (p) => {
  p.directory(${JSON.stringify(data)}, { mode: 0o750 });
  p.file(${JSON.stringify(`${data}/conf`)}, { content: "a = 1\\n" });
});
`,
    );
    const project = await load(file);
    const opts = { host: h.host, port: h.port, user: h.user, ...(h.identityFile ? { identityFile: h.identityFile } : {}), agent: false as const, acceptHosts: true, knownHostsFile: join(dir, "known_hosts") };
    const conn = (await SSH.Connection.open(opts)) as SshRunner;
    try {
      const target = Target.ssh("it", { ...opts, runner: conn });
      const first = await plan(project, { target });
      const second = await plan(project, { target });
      expect(first.changes.map((c) => `${c.action} ${c.key}`)).toEqual([`create directory:${data}`, `create file:${data}/conf`]);
      expect(second.basis).toBe(first.basis);
      expect(conn.stats()).toEqual({ connects: 1, channels: 1 });

      const result = await apply(second, { target, confirm: true });
      expect("status" in result && result.status).toBe("ok");
      const third = await plan(project, { target });
      expect(third.changes).toEqual([]);
      expect(third.summary.noop).toBe(2);
      // Still the one connection, still open: the calls borrowed it.
      expect(conn.stats()).toEqual({ connects: 1, channels: 1 });
      expect((await conn.exec(["stat", "-c", "%a", data])).code).toBe(0);
    } finally {
      await SSH.Connection.close(conn);
    }
    await expect(conn.exec(["true"])).rejects.toThrow(/closed/);
    expect((await onHost(h, `cat ${data}/conf`)).trim()).toBe("a = 1");
  }, TEST_MS);
});
