/**
 * The classic attack on a real host (the Incus container), through the compiled binary over SSH as
 * root: a service user who owns /srv/<svc> replaces its own subdirectory with a symlink to /etc.
 * HostKit refuses — in the plan, and at apply time for a plan saved before the swap — and /etc is
 * untouched. A root-owned write below a directory another user owns is refused unless the
 * declaration opts in with `unsafeParents: true`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { announceSkip, ENABLED, hostkit, hostLine, mustHost, onHost, removeTempDirs, SETUP_MS, stackLines, tag, tempDir, TEST_MS, writeInfra, type Host } from "../integration/harness.ts";

announceSkip("test/security/symlinks-live.test.ts");

describe.skipIf(!ENABLED)("live host: a service user's link to /etc", () => {
  let h: Host;
  let dir: string;
  const t = tag();
  const user = `hksec${t}`.slice(0, 30);
  const home = `/srv/${user}`;
  const pwned = `/etc/hostkit-pwned-${t}.conf`;
  /** /etc as data: its own owner and mode, and the names and owners of what is in it. */
  const etcState = () => onHost(h, `stat -c '%u:%g %a' /etc; ls -la --time-style=+ /etc | awk '{print $1, $3, $4, $NF}' | sort`);

  beforeAll(async () => {
    h = await mustHost();
    dir = tempDir("sec-live-");
    await onHost(h, `useradd --system --no-create-home --shell /usr/sbin/nologin ${user} && mkdir -p ${home}/data && chown -R ${user}: ${home}`);
  }, SETUP_MS);

  afterAll(async () => {
    if (h) await onHost(h, `rm -rf ${home}; rm -f ${pwned}; userdel ${user} 2>/dev/null; exit 0`);
    removeTempDirs();
  }, TEST_MS);

  const infra = (body: string) =>
    writeInfra(dir, "config.ts", `import { project } from "hostkit";\nexport default project("hksec", (p) => {\n  ${hostLine("it", h, { knownHostsFile: join(dir, "known_hosts") })}\n${body}\n});\n`);

  test("plan made while data is a real directory; the user swaps it for a link to /etc; apply --plan refuses, /etc untouched", async () => {
    infra(`  p.file(${JSON.stringify(`${home}/data/${pwned.slice(5)}`)}, { content: "root2:x:0:0::/root:/bin/bash\\n", owner: ${JSON.stringify(user)}, mode: 0o644 });`);
    const planned = await hostkit(["plan", "config.ts", "--host", "it", "--out", "up.json"], { cwd: dir });
    expect({ code: planned.code, stderr: planned.code ? planned.stderr : "" }).toEqual({ code: 0, stderr: "" });
    // The attack, as the service user itself.
    await onHost(h, `runuser -u ${user} -- sh -c 'rmdir ${home}/data && ln -s /etc ${home}/data' && [ -L ${home}/data ]`);
    const before = await etcState();
    const applied = await hostkit(["apply", "--plan", "up.json", "--confirm"], { cwd: dir, waitForLock: true });
    expect(stackLines(applied.stderr)).toEqual([]);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain(`refusing ${home}/data/${pwned.slice(5)}: ${home}/data is a symbolic link`);
    expect(await etcState()).toBe(before);
    expect((await h.sh(`test -e ${pwned}`)).code).not.toBe(0);
  }, TEST_MS);

  test("a fresh plan names the link and refuses; a declared directory that is the link is never chowned", async () => {
    infra(`  p.directory(${JSON.stringify(`${home}/data`)}, { owner: ${JSON.stringify(user)}, mode: 0o777 });\n  p.file(${JSON.stringify(`${home}/data/${pwned.slice(5)}`)}, { content: "x\\n", owner: ${JSON.stringify(user)} });`);
    const before = await etcState();
    const planned = await hostkit(["plan", "config.ts", "--host", "it"], { cwd: dir });
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain(`directory:${home}/data: refusing ${home}/data: it is a symbolic link`);
    expect(planned.stderr).toContain(`refusing ${home}/data/${pwned.slice(5)}: ${home}/data is a symbolic link`);
    const applied = await hostkit(["apply", "config.ts", "--host", "it", "--confirm"], { cwd: dir, waitForLock: true });
    expect(applied.code).toBe(1);
    expect(await etcState()).toBe(before);
    expect((await onHost(h, "stat -c '%U %a' /etc")).trim()).toBe("root 755");
  }, TEST_MS);

  test("root-owned writes below a directory the user owns: refused, unless the declaration opts in", async () => {
    await onHost(h, `rm -f ${home}/data && runuser -u ${user} -- mkdir ${home}/cache`);
    const target = `${home}/cache/root.conf`;
    infra(`  p.file(${JSON.stringify(target)}, { content: "x\\n" });`);
    const refused = await hostkit(["apply", "config.ts", "--host", "it", "--confirm"], { cwd: dir, waitForLock: true });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`refusing ${target}: ${home} is owned by ${user}, neither root nor the declared owner root`);
    expect((await h.sh(`test -e ${target}`)).code).not.toBe(0);
    infra(`  p.file(${JSON.stringify(target)}, { content: "x\\n", unsafeParents: true });`);
    const trusted = await hostkit(["apply", "config.ts", "--host", "it", "--confirm"], { cwd: dir, waitForLock: true });
    expect({ code: trusted.code, stderr: trusted.code ? trusted.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect((await onHost(h, `stat -c '%U %a' ${target}; cat ${target}`)).trim().split("\n")).toEqual(["root 644", "x"]);
  }, TEST_MS);
});
