/**
 * A saved SSH plan applies with only `--plan`: the host's connection settings (key, port,
 * known_hosts) come from the infra file the plan was made from, found through its changes' sources.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { announceSkip, ENABLED, hostkit, hostLine, mustHost, onHost, removeTempDirs, SETUP_MS, stackLines, tag, tempDir, TEST_MS, writeInfra, type Host } from "./harness.ts";

announceSkip("test/integration/saved-plan.test.ts");

describe.skipIf(!ENABLED)("apply --plan without the infra file", () => {
  let h: Host;
  let dir: string;
  const t = tag();
  const path = `/srv/hk-saved-${t}.conf`;

  beforeAll(async () => {
    h = await mustHost();
    dir = tempDir("hk-saved-");
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await onHost(h, `rm -f ${path}`);
    removeTempDirs();
  }, TEST_MS);

  test("plan --host --out, then apply --plan alone reaches the declared host and applies", async () => {
    writeInfra(
      dir,
      "config.ts",
      `import { project } from "hostkit";
export default project("hksaved", (p) => {
  ${hostLine("it", h, { knownHostsFile: join(dir, "known_hosts") })}
  p.file(${JSON.stringify(path)}, { content: "saved ${t}\\n", mode: 0o640 });
});
`,
    );
    const planned = await hostkit(["plan", "config.ts", "--host", "it", "--out", "up.json"], { cwd: dir });
    expect({ code: planned.code, stderr: planned.code ? planned.stderr : "" }).toEqual({ code: 0, stderr: "" });

    const applied = await hostkit(["apply", "--plan", "up.json", "--confirm"], { cwd: dir, waitForLock: true });
    expect(stackLines(applied.stderr)).toEqual([]);
    expect({ code: applied.code, stderr: applied.code ? applied.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect((await onHost(h, `stat -c '%a' ${path}; cat ${path}`)).trim().split("\n")).toEqual(["640", `saved ${t}`]);
  }, TEST_MS);
});
