/**
 * Host bootstrap end to end with the compiled binary on a dedicated Debian 12 Incus container:
 * packages by semantic name resolved through the loopback Repology server, `as:`, one install,
 * cache (zero requests), the package lock with the server stopped, drift after `apt-get remove`,
 * one query per manager for 50 packages, bad input, and mise installed through a served install
 * script (the real mise binary from the npm package @jdxcode/mise-linux-x64) with a real tool.
 *
 * Installs packages, so it runs only on a throwaway Incus container (never on a `remote` host).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run, INCUS_SH } from "../hosts/testhost.ts";
import { startRepologyServer, type RepologyServer } from "../packages/repology-server.ts";
import { cannotRun } from "../helpers/real-host.ts";
import { hostkit, hostLine, mustHost, onHost, removeTempDirs, SETUP_MS, tempDir, TEST_MS, TOOL, writeInfra, type Host } from "./harness.ts";
import { openSsh } from "../../src/targets/ssh.ts";
import { planHost } from "../../src/plan/planner.ts";
import { load } from "../../src/load.ts";
import type { Runner } from "../../src/targets/runner.ts";

const BOX = { name: "hostkit-it-pkgkind", port: 2261 };
const enabled = !cannotRun("test/integration/packages.test.ts", TOOL === "incus" ? false : "needs HOSTKIT_INTEGRATION_TOOL=incus (it installs packages, so only on a throwaway container)");

describe.skipIf(!enabled)("host bootstrap on a real Debian 12 host (compiled binary)", () => {
  let h: Host;
  let dir: string;
  let server: RepologyServer;
  let host: string;
  const env = () => ({ HOSTKIT_REPOLOGY_URL: server.url });
  const dpkgStatus = async (names: string[]) => (await h.sh(`dpkg-query -W -f='\${Package} \${db:Status-Status}\\n' ${names.join(" ")} 2>/dev/null; true`)).stdout;

  beforeAll(async () => {
    h = await mustHost({ name: BOX.name, port: BOX.port });
    dir = tempDir("pkgkind-");
    server = startRepologyServer();
    host = hostLine("box", h, { knownHostsFile: join(dir, "known_hosts") });
    await onHost(h, "DEBIAN_FRONTEND=noninteractive apt-get remove -y -q jq tree build-essential >/dev/null 2>&1; true");
  }, SETUP_MS);

  afterAll(async () => {
    server?.stop();
    if (h) await run(["bash", INCUS_SH, "teardown", BOX.name]);
    removeTempDirs();
  }, SETUP_MS);

  const infra = (body: string, name = "infra.ts") => writeInfra(dir, name, `import { project } from "hostkit";\nexport default project("pk", (p) => {\n  ${host}\n${body}\n});\n`);

  test(
    "semantic names through Repology, as:, one install, cache, lock without the server, drift",
    async () => {
      const file = infra(`  p.bootstrap((b) => {\n    b.package("jq");\n    b.package("tree");\n    b.package("build_essential", { as: "build-essential", update: true });\n  });`);
      const lock = join(dir, "hostkit.package.lock");
      const plan1 = await hostkit(["plan", file, "--host", "box", "--write-package-lock", lock], { cwd: dir, env: env() });
      expect(plan1.code).toBe(0);
      expect(plan1.stdout).toContain("+ package:jq  apt package jq is not installed (one apt install for 3 packages: jq, tree, build-essential)");
      expect(plan1.stdout).toContain("+ package:tree");
      expect(plan1.stdout).toContain("+ package:build_essential  apt package build-essential (as:) is not installed");
      expect(server.requests.map((r) => r.path).sort()).toEqual(["/api/v1/project/jq", "/api/v1/project/tree"]);
      for (const r of server.requests) expect(r.userAgent).toMatch(/^HostKit\/\S+ \(\+https:\/\/github\.com\//);
      expect(readFileSync(lock, "utf8")).toBe(
        '{"hostkit_package_lock": 1, "packages": [\n' +
          '{"semantic": "jq", "repository": "debian_12", "project": "jq", "name": "jq", "version": "1.6-2.1+deb12u3"},\n' +
          '{"semantic": "tree", "repository": "debian_12", "project": "tree", "name": "tree", "version": "2.1.0-1"}\n]}\n',
      );

      const applied = await hostkit(["apply", file, "--host", "box", "--confirm"], { cwd: dir, env: env() });
      expect(applied.code).toBe(0);
      expect(await dpkgStatus(["jq", "tree", "build-essential"])).toBe("build-essential installed\njq installed\ntree installed\n");

      const before = server.requests.length;
      const plan2 = await hostkit(["plan", file, "--host", "box", "--detailed-exitcode"], { cwd: dir, env: env() });
      expect(plan2.stdout).toContain("No changes. 3 resource(s) already match.");
      expect(plan2.code).toBe(0);
      expect(server.requests.length).toBe(before); // cached: zero HTTP requests

      // The server gone: without the lock, --refresh must ask it and fails clearly; with the lock, no request at all.
      server.stop();
      const noServer = await hostkit(["plan", file, "--host", "box", "--refresh"], { cwd: dir, env: env() });
      expect(noServer.code).toBe(1);
      expect(noServer.stderr).toContain('package "jq": cannot reach Repology');
      const locked = await hostkit(["plan", file, "--host", "box", "--refresh", "--package-lock", lock, "--detailed-exitcode"], { cwd: dir, env: env() });
      expect(locked.stdout).toContain("No changes. 3 resource(s) already match.");
      expect(locked.code).toBe(0);

      await onHost(h, "DEBIAN_FRONTEND=noninteractive apt-get remove -y -q jq >/dev/null");
      const drift = await hostkit(["plan", file, "--host", "box", "--package-lock", lock, "--detailed-exitcode"], { cwd: dir, env: env() });
      expect(drift.code).toBe(2);
      expect(drift.stdout).toContain("+ package:jq  apt package jq is not installed");
      expect(drift.stdout).not.toContain("package:tree");
      server = startRepologyServer();
    },
    TEST_MS * 3,
  );

  test(
    "bad input: an unknown manager, a name with spaces or shell characters, an as: that does not exist (nothing after it applied)",
    async () => {
      const mgr = await hostkit(["plan", infra(`  p.bootstrap((b) => b.package("jq", { manager: "brew" as never }));`, "bad1.ts"), "--host", "box"], { cwd: dir, env: env() });
      expect(mgr.code).toBe(1);
      expect(mgr.stderr).toMatch(/bad1\.ts:\d+: project "pk" › bootstrap › package "jq" › manager: expected \("apt" \| "dnf" \| "apk" \| "pacman"\), got "brew"/);
      const spaces = await hostkit(["plan", infra(`  p.bootstrap((b) => { b.package("jq; rm -rf /"); b.package("a b"); });`, "bad2.ts"), "--host", "box"], { cwd: dir, env: env() });
      expect(spaces.code).toBe(1);
      expect(spaces.stderr).toContain('"jq; rm -rf /" is not a valid package name');
      expect(spaces.stderr).toContain('"a b" is not a valid package name');
      const asBad = await hostkit(["plan", infra(`  p.bootstrap((b) => b.package("thing", { as: "x\`id\`" }));`, "bad3.ts"), "--host", "box"], { cwd: dir, env: env() });
      expect(asBad.code).toBe(1);
      expect(asBad.stderr).toMatch(/package "thing" › as: is not a package name/);

      const missing = infra(`  p.bootstrap((b) => b.package("nothing", { as: "hostkit-no-such-package" }));\n  p.file("/etc/hk-after-pkg", { content: "x\\n" });`, "bad4.ts");
      const failed = await hostkit(["apply", missing, "--host", "box", "--confirm"], { cwd: dir, env: env() });
      expect(failed.code).toBe(1);
      expect(failed.stdout + failed.stderr).toContain("install apt package hostkit-no-such-package");
      expect(failed.stdout + failed.stderr).toContain("E: Unable to locate package hostkit-no-such-package");
      expect((await h.sh("test -e /etc/hk-after-pkg; echo $?")).stdout.trim()).toBe("1");
    },
    TEST_MS * 2,
  );

  test(
    "50 declared packages: one list query per manager in the one probe round trip",
    async () => {
      const installed = (await onHost(h, "dpkg-query -W -f='${Package} ${db:Status-Status}\\n' | awk '$2==\"installed\"{print $1}' | head -50")).trim().split("\n");
      expect(installed.length).toBe(50);
      const decls = installed.map((n, i) => `    b.package("p${i}", { as: ${JSON.stringify(n)} });`).join("\n");
      const file = infra(`  p.bootstrap((b) => {\n${decls}\n  });`, "fifty.ts");
      const project = await load(file, { require: [] });
      const r = await openSsh({ host: h.host, port: h.port, user: h.user, ...(h.identityFile ? { identityFile: h.identityFile } : {}), agent: false, acceptHosts: true, knownHostsFile: join(dir, "kh50") });
      const scripts: string[] = [];
      const counting: Runner = { ...r, description: r.description, exec: (argv, o) => (scripts.push(String(o?.stdin ?? "")), r.exec(argv, o)), close: () => r.close() } as Runner;
      try {
        const plan = await planHost({ project: project.project, resources: project.resources, runner: counting, ctx: {}, target: { name: "box", transport: "ssh", host: h.host } as never });
        expect(plan.changes.length).toBe(0);
        expect(plan.summary.noop).toBe(50);
      } finally {
        await r.close();
      }
      expect(scripts.length).toBe(1); // the one probe round trip
      const count = (w: string) => scripts[0]!.split("\n").filter((l) => l.startsWith(`(exec ${w} `)).length;
      expect([count("dpkg-query"), count("rpm"), count("apk"), count("pacman")]).toEqual([1, 1, 1, 1]);

      // Timing (reported, not asserted): plan of the converged host with and without the 50 packages.
      const empty = infra("", "none.ts");
      const time = async (f: string) => {
        const t: number[] = [];
        for (let i = 0; i < 5; i++) {
          const t0 = performance.now();
          expect((await hostkit(["plan", f, "--host", "box"], { cwd: dir, env: env() })).code).toBe(0);
          t.push(performance.now() - t0);
        }
        return t.sort((a, b) => a - b)[2]!;
      };
      const [without, withFifty] = [await time(empty), await time(file)];
      console.log(`[measure] plan median of 5: without packages ${without.toFixed(0)} ms, with 50 packages ${withFifty.toFixed(0)} ms (ratio ${(withFifty / without).toFixed(2)})`);
    },
    TEST_MS * 2,
  );

  test(
    "mise: installed through a served install script (real binary from @jdxcode/mise-linux-x64), a real tool, second plan no changes",
    async () => {
      // The real mise binary: the npm package, packed on the controller (the npm registry is reachable here).
      const pack = tempDir("mise-npm-");
      const packed = Bun.spawn(["npm", "pack", "--silent", "@jdxcode/mise-linux-x64"], { cwd: pack, stdout: "pipe", stderr: "pipe" });
      const tgzName = (await new Response(packed.stdout).text()).trim().split("\n").at(-1)!;
      expect(await packed.exited).toBe(0);
      const tgz = join(pack, tgzName);
      expect(existsSync(tgz)).toBe(true);
      // Served on the bridge address the container reaches the controller at (its default gateway).
      const gw = (await onHost(h, "ip -4 route show default | awk '{print $3; exit}'")).trim();
      const script = [
        "#!/bin/sh",
        "# mise.run contract: MISE_INSTALL_PATH is where the binary goes.",
        "set -eu",
        'dest="${MISE_INSTALL_PATH:-$HOME/.local/bin/mise}"',
        't=$(mktemp -d)',
        `curl -fsSL -o "$t/mise.tgz" "http://${gw}:PORT/mise.tgz"`,
        'tar -xzf "$t/mise.tgz" -C "$t" package/bin/mise',
        'mkdir -p "$(dirname "$dest")"',
        'install -m 0755 "$t/package/bin/mise" "$dest"',
        'rm -rf "$t"',
      ].join("\n");
      let port = 0;
      const srv: { port?: number; stop(force?: boolean): unknown } = Bun.serve({
        hostname: gw,
        port: 0,
        fetch: (req: Request): Response => {
          const p = new URL(req.url).pathname;
          if (p === "/install.sh") return new Response(script.replace("PORT", String(port)));
          if (p === "/mise.tgz") return new Response(Bun.file(tgz));
          return new Response("not found", { status: 404 });
        },
      });
      port = srv.port!;
      try {
        // The sandbox's npm registry is reached through a TLS-intercepting egress proxy that returns no
        // package creation times: the container trusts the controller's egress CA (as the controller
        // does), and mise uses npm itself for npm: tools (its default backend refuses without them).
        for (const ca of ["/usr/local/share/ca-certificates/sandboxing-egress-ca.crt", "/usr/local/share/ca-certificates/custom-ca.crt"]) {
          if (existsSync(ca)) await onHost(h, `cat > /usr/local/share/ca-certificates/hk-${ca.split("/").pop()} && update-ca-certificates >/dev/null`, readFileSync(ca, "utf8"));
        }
        await onHost(h, "mkdir -p /etc/mise && printf '[settings]\\nnpm.package_manager = \"npm\"\\n' > /etc/mise/config.toml");
        const file = infra(
          `  p.bootstrap((b) => {\n    b.package("curl_pkg", { as: "curl" });\n    b.package("nodejs_pkg", { as: "nodejs" });\n    b.package("npm_pkg", { as: "npm" });\n    b.mise({ tools: { "npm:cowsay": "1.6.0" }, installUrl: "http://${gw}:${port}/install.sh" });\n  });`,
          "mise.ts",
        );
        const plan1 = await hostkit(["plan", file, "--host", "box"], { cwd: dir, env: env() });
        expect(plan1.code).toBe(0);
        expect(plan1.stdout).toContain("+ mise:/usr/local/bin/mise  mise is not installed at /usr/local/bin/mise");
        expect(plan1.stdout).toContain("+ mise_tool:npm:cowsay  npm:cowsay@1.6.0 is not installed under /usr/local/share/mise");
        const applied = await hostkit(["apply", file, "--host", "box", "--confirm"], { cwd: dir, env: env() });
        if (applied.code !== 0) console.log(applied.stdout, applied.stderr);
        expect(applied.code).toBe(0);
        expect((await onHost(h, "/usr/local/bin/mise --version")).trim()).toMatch(/^\d{4}\.\d+\.\d+ linux-x64/);
        expect((await onHost(h, "ls /usr/local/share/mise/installs/npm-cowsay")).split("\n")).toContain("1.6.0");
        const plan2 = await hostkit(["plan", file, "--host", "box", "--detailed-exitcode"], { cwd: dir, env: env() });
        expect(plan2.stdout).toContain("No changes.");
        expect(plan2.code).toBe(0);
      } finally {
        srv.stop(true);
      }
    },
    TEST_MS * 4,
  );
});
