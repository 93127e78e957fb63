/**
 * Runs install.sh for real (with /bin/sh) against a fake release served by
 * Bun.serve on 127.0.0.1. The "binary" in the fake release is a small shell
 * script that prints a version (FAKE_HOSTKIT_SCRIPT below), so these tests do
 * not need `bun run build` to have produced dist/hostkit.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");
const INSTALL_SH = join(REPO, "install.sh");
const RELEASE_TS = join(REPO, "build", "release.ts");

/** The release names for this machine, derived independently of install.sh. */
const OS = process.platform === "linux" ? "linux" : process.platform === "darwin" ? "darwin" : undefined;
const ARCH = process.arch === "x64" ? "x64" : process.arch === "arm64" ? "arm64" : undefined;
const ASSET = `hostkit-${OS}-${ARCH}`;
const OTHER_ARCH = ARCH === "x64" ? "arm64" : "x64";
const OTHER_ASSET = `hostkit-${OS}-${OTHER_ARCH}`;

/** A stand-in for the compiled binary: prints a version, or fails. */
function fakeHostkitScript(version: string, exitCode = 0): string {
  return exitCode === 0
    ? `#!/bin/sh\necho "hostkit ${version}"\n`
    : `#!/bin/sh\necho "fake hostkit: broken" >&2\nexit ${exitCode}\n`;
}

function sha256(data: string | Uint8Array): string {
  const h = new Bun.CryptoHasher("sha256");
  h.update(data);
  return h.digest("hex");
}

let tmp = "";
let servers: { stop: (force?: boolean) => void }[] = [];

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "hostkit-install-test-"));
  servers = [];
});

afterEach(() => {
  for (const s of servers) s.stop(true);
  rmSync(tmp, { recursive: true, force: true });
});

/** Write a release folder: `files` maps name -> content; SHA256SUMS is made from them unless `sums` is given. */
function makeReleaseDir(
  name: string,
  files: Record<string, string>,
  sums?: string | null,
): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(join(dir, file), content);
    chmodSync(join(dir, file), 0o755);
  }
  if (sums === undefined) {
    sums = Object.entries(files)
      .map(([file, content]) => `${sha256(content)}  ${file}\n`)
      .join("");
  }
  if (sums !== null) writeFileSync(join(dir, "SHA256SUMS"), sums);
  return dir;
}

interface FakeServer {
  url: string;
  /** Paths requested so far. */
  requests: string[];
}

/** Serve `dir` on 127.0.0.1 (random port); anything missing is a 404. */
function serveDir(dir: string): FakeServer {
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      requests.push(path);
      const file = Bun.file(join(dir, basename(path)));
      if (path.endsWith("/") || !(await file.exists())) {
        return new Response("not found\n", { status: 404 });
      }
      return new Response(file);
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}`, requests };
}

/** A server that records requests and serves nothing: proves "no network". */
function serveNothing(): FakeServer {
  return serveDir(join(tmp, "does-not-exist"));
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function baseEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Never route the 127.0.0.1 downloads through a proxy.
    if (v !== undefined && !/_proxy$/i.test(k)) env[k] = v;
  }
  delete env.HOSTKIT_INSTALL_BASE_URL;
  // Keep the default prefix ($HOME/.hostkit) inside the test's temp dir.
  env.HOME = join(tmp, "home");
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Run install.sh with /bin/sh. Async spawn: the fake server runs on this event loop. */
async function runInstall(args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  const proc = Bun.spawn(["sh", INSTALL_SH, ...args], {
    cwd: tmp,
    env: baseEnv(env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

async function runBinary(path: string, args: string[]): Promise<RunResult> {
  const proc = Bun.spawn([path, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** A PATH whose directories hold everything on the current PATH except `hidden`. */
function pathWithout(hidden: string[]): string {
  const dir = join(tmp, `path-without-${hidden.join("-")}`);
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  for (const p of (process.env.PATH ?? "").split(delimiter)) {
    if (!p || !existsSync(p)) continue;
    let entries: string[];
    try {
      entries = readdirSync(p);
    } catch {
      continue;
    }
    for (const name of entries) {
      if (seen.has(name) || hidden.includes(name)) continue;
      seen.add(name);
      symlinkSync(join(p, name), join(dir, name));
    }
  }
  return dir;
}

function which(cmd: string): boolean {
  return Bun.which(cmd) !== null;
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

/** Assert a failed run left no binary (and no temp file) under `prefix`. */
function expectNothingInstalled(prefix: string): void {
  expect(existsSync(join(prefix, "bin", "hostkit"))).toBe(false);
  if (existsSync(join(prefix, "bin"))) expect(readdirSync(join(prefix, "bin"))).toEqual([]);
}

describe.skipIf(OS === undefined || ARCH === undefined)("install.sh", () => {
  test("downloads, verifies and installs the binary for this os/arch with mode 0755", async () => {
    const release = makeReleaseDir("release", {
      [ASSET]: fakeHostkitScript("1.2.3"),
      [OTHER_ASSET]: fakeHostkitScript("9.9.9-wrong-arch"),
    });
    const server = serveDir(release);
    const prefix = join(tmp, "prefix");

    const r = await runInstall(["--prefix", prefix], { HOSTKIT_INSTALL_BASE_URL: server.url });

    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const dest = join(prefix, "bin", "hostkit");
    expect(readFileSync(dest, "utf8")).toBe(fakeHostkitScript("1.2.3"));
    expect(modeOf(dest)).toBe(0o755);
    // Only the final file: no temp file left behind by the temp+mv install.
    expect(readdirSync(join(prefix, "bin"))).toEqual(["hostkit"]);
    expect(server.requests).toContain(`/${ASSET}`);
    expect(server.requests).toContain("/SHA256SUMS");
    expect(server.requests).not.toContain(`/${OTHER_ASSET}`);

    const run = await runBinary(dest, ["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe("hostkit 1.2.3");

    // It proved the binary runs, and told the user how to get it on PATH.
    expect(r.stdout).toContain("hostkit 1.2.3");
    expect(r.stdout).toContain(`export PATH="${join(prefix, "bin")}:$PATH"`);
  });

  test("installs to $HOME/.hostkit/bin/hostkit by default", async () => {
    const server = serveDir(makeReleaseDir("release", { [ASSET]: fakeHostkitScript("1.0.0") }));
    const r = await runInstall([], { HOSTKIT_INSTALL_BASE_URL: server.url });
    expect(r.code).toBe(0);
    const dest = join(tmp, "home", ".hostkit", "bin", "hostkit");
    expect(modeOf(dest)).toBe(0o755);
    expect((await runBinary(dest, ["--version"])).stdout.trim()).toBe("hostkit 1.0.0");
  });

  test("--base-url overrides HOSTKIT_INSTALL_BASE_URL (trailing slash allowed)", async () => {
    const good = serveDir(makeReleaseDir("release", { [ASSET]: fakeHostkitScript("2.0.0") }));
    const envServer = serveNothing();
    const prefix = join(tmp, "prefix");

    const r = await runInstall(["--prefix", prefix, "--base-url", `${good.url}/`], {
      HOSTKIT_INSTALL_BASE_URL: envServer.url,
    });

    expect(r.code).toBe(0);
    expect(envServer.requests).toEqual([]);
    expect(good.requests).toContain(`/${ASSET}`);
    expect(readFileSync(join(prefix, "bin", "hostkit"), "utf8")).toBe(fakeHostkitScript("2.0.0"));
  });

  test("replaces an existing install", async () => {
    const prefix = join(tmp, "prefix");
    mkdirSync(join(prefix, "bin"), { recursive: true });
    writeFileSync(join(prefix, "bin", "hostkit"), fakeHostkitScript("0.0.1"));
    chmodSync(join(prefix, "bin", "hostkit"), 0o700);
    const server = serveDir(makeReleaseDir("release", { [ASSET]: fakeHostkitScript("1.2.3") }));

    const r = await runInstall(["--prefix", prefix], { HOSTKIT_INSTALL_BASE_URL: server.url });

    expect(r.code).toBe(0);
    const dest = join(prefix, "bin", "hostkit");
    expect(modeOf(dest)).toBe(0o755);
    expect((await runBinary(dest, ["--version"])).stdout.trim()).toBe("hostkit 1.2.3");
    expect(readdirSync(join(prefix, "bin"))).toEqual(["hostkit"]);
  });

  test("corrupted SHA256SUMS: refuses with a clear message and installs nothing", async () => {
    const binary = fakeHostkitScript("1.2.3");
    const badSum = sha256(binary).replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const server = serveDir(makeReleaseDir("release", { [ASSET]: binary }, `${badSum}  ${ASSET}\n`));
    const prefix = join(tmp, "prefix");

    const r = await runInstall(["--prefix", prefix], { HOSTKIT_INSTALL_BASE_URL: server.url });

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`checksum mismatch for ${ASSET}`);
    expect(r.stderr).toContain(badSum);
    expect(r.stderr).toContain(sha256(binary));
    expect(r.stderr).toContain("Nothing was installed");
    expectNothingInstalled(prefix);
  });

  test("tampered download: leaves an existing install untouched", async () => {
    const prefix = join(tmp, "prefix");
    const dest = join(prefix, "bin", "hostkit");
    mkdirSync(join(prefix, "bin"), { recursive: true });
    writeFileSync(dest, fakeHostkitScript("0.0.1"));
    chmodSync(dest, 0o755);
    // SHA256SUMS describes the genuine binary; the server hands out another one.
    const sums = `${sha256(fakeHostkitScript("1.2.3"))}  ${ASSET}\n`;
    const server = serveDir(makeReleaseDir("release", { [ASSET]: fakeHostkitScript("6.6.6-evil") }, sums));

    const r = await runInstall(["--prefix", prefix], { HOSTKIT_INSTALL_BASE_URL: server.url });

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("checksum mismatch");
    expect(readFileSync(dest, "utf8")).toBe(fakeHostkitScript("0.0.1"));
    expect(readdirSync(join(prefix, "bin"))).toEqual(["hostkit"]);
  });

  test("SHA256SUMS without an entry for this platform: refuses", async () => {
    const other = fakeHostkitScript("1.2.3");
    const server = serveDir(
      makeReleaseDir("release", { [ASSET]: fakeHostkitScript("1.2.3") }, `${sha256(other)}  ${OTHER_ASSET}\n`),
    );
    const prefix = join(tmp, "prefix");

    const r = await runInstall(["--prefix", prefix], { HOSTKIT_INSTALL_BASE_URL: server.url });

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`no entry for ${ASSET}`);
    expectNothingInstalled(prefix);
  });

  test("no release for this arch (404): clear error, nothing installed", async () => {
    const server = serveDir(makeReleaseDir("release", { [OTHER_ASSET]: fakeHostkitScript("1.2.3") }));
    const prefix = join(tmp, "prefix");

    const r = await runInstall(["--prefix", prefix], { HOSTKIT_INSTALL_BASE_URL: server.url });

    expect(r.code).not.toBe(0);
    expect(server.requests).toContain(`/${ASSET}`);
    expect(r.stderr).toContain(`could not download ${server.url}/${ASSET}`);
    expect(r.stderr).toContain(`no hostkit release for ${OS}/${ARCH}`);
    expectNothingInstalled(prefix);
  });

  test("SHA256SUMS missing (404): refuses to install unverified", async () => {
    const server = serveDir(makeReleaseDir("release", { [ASSET]: fakeHostkitScript("1.2.3") }, null));
    const prefix = join(tmp, "prefix");

    const r = await runInstall(["--prefix", prefix], { HOSTKIT_INSTALL_BASE_URL: server.url });

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("SHA256SUMS");
    expect(r.stderr).toContain("Nothing was installed");
    expectNothingInstalled(prefix);
  });

  test("--from installs a local file without any network", async () => {
    const src = join(tmp, "local-hostkit");
    writeFileSync(src, fakeHostkitScript("3.1.4-local"));
    chmodSync(src, 0o644); // not executable: install.sh must set 0755 itself
    const watcher = serveNothing();
    const prefix = join(tmp, "prefix");

    const r = await runInstall(["--from", src, "--prefix", prefix], { HOSTKIT_INSTALL_BASE_URL: watcher.url });

    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(watcher.requests).toEqual([]);
    const dest = join(prefix, "bin", "hostkit");
    expect(modeOf(dest)).toBe(0o755);
    expect((await runBinary(dest, ["--version"])).stdout.trim()).toBe("hostkit 3.1.4-local");
    expect(modeOf(src)).toBe(0o644); // the source is copied, not moved or changed
  });

  test("--from with a relative path and --opt=value syntax", async () => {
    mkdirSync(join(tmp, "dist"));
    writeFileSync(join(tmp, "dist", "hostkit"), fakeHostkitScript("3.2.0"));
    const r = await runInstall(["--from=dist/hostkit", "--prefix=rel-prefix"]);
    expect(r.code).toBe(0);
    const dest = join(tmp, "rel-prefix", "bin", "hostkit");
    expect(modeOf(dest)).toBe(0o755);
    // The PATH hint is absolute even for a relative --prefix.
    expect(r.stdout).toContain(`export PATH="${join(tmp, "rel-prefix", "bin")}:$PATH"`);
  });

  test("--from a missing file: error, nothing installed", async () => {
    const prefix = join(tmp, "prefix");
    const r = await runInstall(["--from", join(tmp, "nope"), "--prefix", prefix]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no such file");
    expectNothingInstalled(prefix);
  });

  test("a binary that fails --version: says so and exits 1", async () => {
    const src = join(tmp, "broken-hostkit");
    writeFileSync(src, fakeHostkitScript("x", 3));
    const prefix = join(tmp, "prefix");

    const r = await runInstall(["--from", src, "--prefix", prefix]);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not run");
    expect(r.stderr).toContain("--version");
    expect(r.stderr).toContain("fake hostkit: broken");
  });

  test("unknown flag: one clear error, exit 2, nothing installed", async () => {
    const prefix = join(tmp, "prefix");
    const r = await runInstall(["--prefix", prefix, "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("unknown option: --bogus");
    expectNothingInstalled(prefix);
  });

  test("usage errors exit 2: missing value, stray argument, --from with --base-url", async () => {
    for (const args of [["--prefix"], ["stray"], ["--from", "x", "--base-url", "http://127.0.0.1:1"]]) {
      const r = await runInstall(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain("install.sh");
    }
  });

  test("--help describes the options and exits 0", async () => {
    const r = await runInstall(["--help"]);
    expect(r.code).toBe(0);
    for (const word of ["--prefix", "--base-url", "--from", "HOSTKIT_INSTALL_BASE_URL", "SHA256SUMS"]) {
      expect(r.stdout).toContain(word);
    }
  });

  test.skipIf(!which("wget"))("falls back to wget when curl is missing", async () => {
    const server = serveDir(makeReleaseDir("release", { [ASSET]: fakeHostkitScript("4.0.0-wget") }));
    const prefix = join(tmp, "prefix");
    const PATH = pathWithout(["curl"]);

    const r = await runInstall(["--prefix", prefix], { HOSTKIT_INSTALL_BASE_URL: server.url, PATH });

    expect(r.code).toBe(0);
    expect(server.requests).toContain(`/${ASSET}`);
    expect((await runBinary(join(prefix, "bin", "hostkit"), ["--version"])).stdout.trim()).toBe("hostkit 4.0.0-wget");
  });

  test.skipIf(!which("wget"))("wget: a 404 is still a clear error", async () => {
    const server = serveDir(makeReleaseDir("release", { [OTHER_ASSET]: fakeHostkitScript("1.0.0") }));
    const prefix = join(tmp, "prefix");
    const r = await runInstall(["--prefix", prefix], {
      HOSTKIT_INSTALL_BASE_URL: server.url,
      PATH: pathWithout(["curl"]),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`no hostkit release for ${OS}/${ARCH}`);
    expectNothingInstalled(prefix);
  });

  test("no curl and no wget: clear error", async () => {
    const r = await runInstall(["--prefix", join(tmp, "prefix")], {
      HOSTKIT_INSTALL_BASE_URL: "http://127.0.0.1:1",
      PATH: pathWithout(["curl", "wget"]),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("neither curl nor wget");
  });

  test.skipIf(!which("shasum"))("verifies with `shasum -a 256` when sha256sum is missing", async () => {
    const PATH = pathWithout(["sha256sum"]);
    const good = serveDir(makeReleaseDir("good", { [ASSET]: fakeHostkitScript("5.0.0") }));
    const r = await runInstall(["--prefix", join(tmp, "p1")], { HOSTKIT_INSTALL_BASE_URL: good.url, PATH });
    expect(r.code).toBe(0);

    const bad = serveDir(makeReleaseDir("bad", { [ASSET]: fakeHostkitScript("5.0.0") }, `${"0".repeat(64)}  ${ASSET}\n`));
    const r2 = await runInstall(["--prefix", join(tmp, "p2")], { HOSTKIT_INSTALL_BASE_URL: bad.url, PATH });
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain("checksum mismatch");
    expectNothingInstalled(join(tmp, "p2"));
  });
});

describe.skipIf(OS === undefined || ARCH === undefined)("build/release.ts + install.sh", () => {
  test("a folder made by release.ts installs with install.sh", async () => {
    const bin = join(tmp, "hostkit");
    writeFileSync(bin, fakeHostkitScript("7.0.0"));
    const out = join(tmp, "release");

    const mk = Bun.spawn([process.execPath, RELEASE_TS, bin, "--out", out], {
      cwd: REPO,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [mkErr, mkCode] = await Promise.all([new Response(mk.stderr).text(), mk.exited]);
    expect(mkErr).toBe("");
    expect(mkCode).toBe(0);

    expect(readdirSync(out).sort()).toEqual(["SHA256SUMS", ASSET].sort());
    expect(modeOf(join(out, ASSET))).toBe(0o755);
    expect(readFileSync(join(out, "SHA256SUMS"), "utf8")).toBe(`${sha256(fakeHostkitScript("7.0.0"))}  ${ASSET}\n`);

    // A second platform added to the same folder: SHA256SUMS lists both.
    const other = join(tmp, "hostkit-other");
    writeFileSync(other, fakeHostkitScript("7.0.0-other"));
    const mk2 = Bun.spawn([process.execPath, RELEASE_TS, other, "--out", out, "--arch", OTHER_ARCH], {
      cwd: REPO,
      stdout: "ignore",
      stderr: "inherit",
    });
    expect(await mk2.exited).toBe(0);
    const sums = readFileSync(join(out, "SHA256SUMS"), "utf8").trim().split("\n").sort();
    expect(sums).toEqual(
      [
        `${sha256(fakeHostkitScript("7.0.0"))}  ${ASSET}`,
        `${sha256(fakeHostkitScript("7.0.0-other"))}  ${OTHER_ASSET}`,
      ].sort(),
    );

    const server = serveDir(out);
    const prefix = join(tmp, "prefix");
    const r = await runInstall(["--prefix", prefix], { HOSTKIT_INSTALL_BASE_URL: server.url });
    expect(r.code).toBe(0);
    expect((await runBinary(join(prefix, "bin", "hostkit"), ["--version"])).stdout.trim()).toBe("hostkit 7.0.0");
  });
});
