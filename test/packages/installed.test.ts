/**
 * Package-manager commands as data (argv in, Map out), and — on this Debian controller — the real
 * dpkg-query and apt-get behind them: exit codes and output of the ONE installed-state query, and the
 * bounded wait for a held dpkg lock.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DPKG_FORMAT,
  installCommands,
  installedQuery,
  installErrorLine,
  InstalledQueryError,
  packageNameProblem,
  packageSpec,
  parseInstalled,
  removeCommands,
  semanticNameProblem,
} from "../../src/packages/installed.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("installedQuery: one command for all packages", () => {
  const names = ["jq", "tree", "ca-certificates"];
  test.each([
    ["apt", ["dpkg-query", "-W", "-f=${Package}\t${db:Status-Status}\t${Version}\n", "--", ...names], [0, 1]],
    ["dnf", ["rpm", "-q", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\n", ...names], [0, 1, 2, 3]],
    ["apk", ["apk", "info", "-e", "-v", ...names], [0, 1, 2, 3]],
    ["pacman", ["pacman", "-Q", ...names], [0, 1]],
  ] as const)("%s", (manager, argv, okCodes) => {
    expect(installedQuery(manager, names)).toEqual({ argv: [...argv], okCodes: [...okCodes] });
  });

  test("50 packages are still one argv", () => {
    const many = Array.from({ length: 50 }, (_, i) => `pkg${i}`);
    expect(installedQuery("apt", many).argv.length).toBe(4 + 50);
  });

  test("bad names are refused before any command is built", () => {
    expect(() => installedQuery("apt", ["jq", "a b"])).toThrow('"a b" is not a valid apt package name');
    expect(() => installedQuery("apt", [])).toThrow("no package names given");
  });
});

describe("parseInstalled on recorded outputs", () => {
  test("dpkg-query: only db:Status-Status=installed counts (removed-with-config and purged rows exit 0 too)", () => {
    const out = "nano\tconfig-files\t7.2-1+deb12u1\nbash\tinstalled\t5.2.15-2+b8\nvim\tnot-installed\t\n";
    const s = parseInstalled("apt", ["nano", "bash", "vim", "jq"], { code: 1, stdout: out, stderr: "dpkg-query: no packages found matching jq\n" });
    expect([...s]).toEqual([["nano", null], ["bash", "5.2.15-2+b8"], ["vim", null], ["jq", null]]);
  });

  test("rpm -q: 'package X is not installed' lines; exit = number missing", () => {
    const out = "bash\t5.2.26-3.fc40\npackage jq is not installed\npackage tree is not installed\n";
    const s = parseInstalled("dnf", ["bash", "jq", "tree"], { code: 2, stdout: out, stderr: "" });
    expect([...s]).toEqual([["bash", "5.2.26-3.fc40"], ["jq", null], ["tree", null]]);
  });

  test("apk info -e -v: name-version, the longest requested name wins", () => {
    const s = parseInstalled("apk", ["zlib", "zlib-dev", "jq"], { code: 1, stdout: "zlib-1.3.1-r2\nzlib-dev-1.3.1-r2\n", stderr: "" });
    expect([...s]).toEqual([["zlib", "1.3.1-r2"], ["zlib-dev", "1.3.1-r2"], ["jq", null]]);
  });

  test("pacman -Q: 'name version'; missing ones only on stderr", () => {
    const s = parseInstalled("pacman", ["bash", "jq"], { code: 1, stdout: "bash 5.2.026-2\n", stderr: "error: package 'jq' was not found\n" });
    expect([...s]).toEqual([["bash", "5.2.026-2"], ["jq", null]]);
  });

  test("an exit code outside the documented ones is a failure of the tool, with its message", () => {
    expect(() => parseInstalled("apt", ["jq"], { code: 2, stdout: "", stderr: "dpkg-query: error: cannot open /var/lib/dpkg/status\n" })).toThrow(
      new InstalledQueryError("dpkg-query failed (exit 2): dpkg-query: error: cannot open /var/lib/dpkg/status"),
    );
    expect(() => parseInstalled("pacman", ["jq"], { code: 127, stdout: "", stderr: "sh: pacman: not found" })).toThrow("pacman failed (exit 127)");
    expect(() => parseInstalled("dnf", ["jq"], { code: 2, stdout: "", stderr: "" })).toThrow("rpm failed (exit 2)");
  });

  test("rows for names that were not asked about are ignored", () => {
    const s = parseInstalled("apt", ["jq"], { code: 0, stdout: "evil\tinstalled\t1\njq\tinstalled\t1.6-2.1\n", stderr: "" });
    expect([...s]).toEqual([["jq", "1.6-2.1"]]);
  });
});

describe("install commands", () => {
  test("apt: env DEBIAN_FRONTEND, bounded lock wait, conffiles kept, update first when asked", () => {
    expect(installCommands("apt", ["jq", "tree"], { update: true, lockTimeoutSeconds: 120 })).toEqual([
      ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=120"],
      ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=120",
        "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "--", "jq", "tree"],
    ]);
    expect(installCommands("apt", ["jq"])[0]).toContain("DPkg::Lock::Timeout=300");
  });

  test("dnf, apk, pacman", () => {
    expect(installCommands("dnf", ["jq"], { update: true })).toEqual([["dnf", "makecache", "-y"], ["dnf", "install", "-y", "jq"]]);
    expect(installCommands("apk", ["jq"], { update: true, lockTimeoutSeconds: 60 })).toEqual([
      ["apk", "update", "--wait", "60"],
      ["apk", "add", "--wait", "60", "jq"],
    ]);
    expect(installCommands("pacman", ["jq"])).toEqual([["pacman", "-S", "--noconfirm", "--needed", "jq"]]);
    // No partial upgrades: a refresh is -Syu in the same transaction.
    expect(installCommands("pacman", ["jq"], { update: true })).toEqual([["pacman", "-Syu", "--noconfirm", "--needed", "jq"]]);
  });

  test("versions where the manager can pin one", () => {
    const versions = new Map([["jq", "1.6-2.1"]]);
    expect(installCommands("apt", ["jq", "tree"], { versions })[0]!.slice(-2)).toEqual(["jq=1.6-2.1", "tree"]);
    expect(packageSpec("dnf", "jq", "1.7.1-1.fc41")).toBe("jq-1.7.1-1.fc41");
    expect(packageSpec("apk", "jq", "1.7.1-r0")).toBe("jq=1.7.1-r0");
    expect(() => packageSpec("pacman", "jq", "1.7.1-1")).toThrow("pacman cannot install a chosen version of jq");
    expect(() => packageSpec("apt", "jq", "1.6; rm -rf /")).toThrow("is not a valid package version");
  });

  test("remove commands (rollback: delete)", () => {
    expect(removeCommands("apt", ["jq"], { lockTimeoutSeconds: 10 })).toEqual([
      ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", "-q", "-o", "DPkg::Lock::Timeout=10", "--", "jq"],
    ]);
    expect(removeCommands("apk", ["jq"])).toEqual([["apk", "del", "--wait", "300", "jq"]]);
  });

  test("bad names and bounds are refused", () => {
    expect(() => installCommands("apt", ["-oAPT::Get::AllowUnauthenticated=1"])).toThrow("is not a valid apt package name");
    expect(() => installCommands("apt", ["jq"], { lockTimeoutSeconds: -1 })).toThrow("lock timeout must be a whole number");
  });

  test("the manager's own error line is picked out of stderr", () => {
    expect(installErrorLine("Reading package lists...\nE: Unable to locate package nosuch\n")).toBe("E: Unable to locate package nosuch");
    expect(installErrorLine("ERROR: unable to select packages:\n  nosuch (no such package):\n")).toBe("ERROR: unable to select packages:");
    expect(installErrorLine("something odd\nlast line\n")).toBe("last line");
  });
});

describe("name validation", () => {
  test.each([
    ["apt", "build-essential", null],
    ["apt", "libstdc++6", null],
    ["apt", "g++", null],
    ["apt", "Firefox", "not a valid apt package name"],
    ["apt", "x", "not a valid apt package name"], // Debian: at least two characters
    ["apt", "jq tree", "not a valid apt package name"],
    ["apt", "jq;reboot", "not a valid apt package name"],
    ["apt", "$(id)", "not a valid apt package name"],
    ["apt", "-y", "not a valid apt package name"],
    ["apt", "jq\nreboot", "not a valid apt package name"],
    ["dnf", "NetworkManager", null],
    ["dnf", "perl-Data-Dumper", null],
    ["apk", "build-base", null],
    ["pacman", "base-devel", null],
    ["pacman", ".hidden", "not a valid pacman package name"],
  ] as const)("%s %j", (manager, name, problem) => {
    const p = packageNameProblem(manager, name);
    if (problem === null) expect(p).toBeNull();
    else expect(p).toContain(problem);
  });

  test("semantic names", () => {
    expect(semanticNameProblem("ca_certificates")).toBeNull();
    expect(semanticNameProblem("build_essential")).toBeNull();
    expect(semanticNameProblem("Caddy")).toContain("is not a valid package name");
    expect(semanticNameProblem("../etc")).toContain("is not a valid package name");
    expect(semanticNameProblem("a".repeat(200))).toContain("longer than");
  });
});

// ------------------------------------------------------------------------------------------------
// Real dpkg-query / apt-get on this machine (Debian 12 controller).

const haveDpkg = Bun.which("dpkg-query") !== null;
if (!haveDpkg) console.log("skip: real dpkg-query tests: dpkg-query is not installed on this machine");

function run(argv: string[]) {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, LC_ALL: "C" } });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** A private dpkg database (`--admindir`) holding states this machine's own database lacks. */
function adminDir(): string {
  const d = mkdtempSync(join(tmpdir(), "hostkit-dpkg-"));
  dirs.push(d);
  mkdirSync(join(d, "updates"));
  mkdirSync(join(d, "info"));
  const stanza = (pkg: string, status: string, version: string) =>
    `Package: ${pkg}\nStatus: ${status}\nPriority: optional\nSection: editors\nMaintainer: X <x@example.org>\nArchitecture: amd64\nVersion: ${version}\nDescription: test\n`;
  writeFileSync(
    join(d, "status"),
    [stanza("nano", "deinstall ok config-files", "7.2-1+deb12u1"), stanza("tree", "install ok installed", "2.1.0-1"), stanza("vim", "purge ok not-installed", "2:9.0.1378-2")].join("\n"),
  );
  return d;
}

describe.skipIf(!haveDpkg)("real dpkg-query (this controller)", () => {
  test("all installed → exit 0, versions read", () => {
    const q = installedQuery("apt", ["bash", "coreutils"]);
    const r = run(q.argv);
    expect(r.code).toBe(0);
    const s = parseInstalled("apt", ["bash", "coreutils"], r);
    expect(s.get("bash")).toMatch(/^\d/);
    expect(s.get("coreutils")).toMatch(/^\d/);
  });

  test("a mix of installed and unknown → exit 1, the unknown one absent", () => {
    const names = ["bash", "hostkit-no-such-package"];
    const r = run(installedQuery("apt", names).argv);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no packages found matching hostkit-no-such-package");
    const s = parseInstalled("apt", names, r);
    expect(s.get("bash")).toMatch(/^\d/);
    expect(s.get("hostkit-no-such-package")).toBeNull();
  });

  test("removed-with-config-files and purged packages exit 0 yet are not installed", () => {
    const q = installedQuery("apt", ["nano", "tree", "vim"]);
    const argv = [q.argv[0]!, `--admindir=${adminDir()}`, ...q.argv.slice(1)];
    const r = run(argv);
    expect(r.code).toBe(0);
    // Recorded: dpkg-query prints no version for a purged (not-installed) package.
    expect(r.stdout).toBe("nano\tconfig-files\t7.2-1+deb12u1\ntree\tinstalled\t2.1.0-1\nvim\tnot-installed\t\n");
    expect([...parseInstalled("apt", ["nano", "tree", "vim"], r)]).toEqual([["nano", null], ["tree", "2.1.0-1"], ["vim", null]]);
  });

  test("a broken database → exit 2, a failure of the query itself", () => {
    const d = mkdtempSync(join(tmpdir(), "hostkit-dpkg-"));
    dirs.push(d);
    writeFileSync(join(d, "status"), "this is not a status file\n");
    const q = installedQuery("apt", ["bash"]);
    const r = run([q.argv[0]!, `--admindir=${d}`, ...q.argv.slice(1)]);
    expect(r.code).toBe(2);
    expect(() => parseInstalled("apt", ["bash"], r)).toThrow(InstalledQueryError);
  });

  test("the format string is dpkg-query's own (fields expand, not printed literally)", () => {
    const r = run(["dpkg-query", "-W", `-f=${DPKG_FORMAT}`, "--", "bash"]);
    expect(r.stdout).toMatch(/^bash\tinstalled\t\S+\n$/);
  });
});

const isRoot = process.getuid?.() === 0;
const havePython = Bun.which("python3") !== null;
const lockReason = !haveDpkg || !Bun.which("apt-get") ? "apt-get is not installed" : !isRoot ? "not root (apt-get needs the dpkg lock)" : !havePython ? "python3 (used to hold the lock) is missing" : "";
if (lockReason) console.log(`skip: real apt lock-wait test: ${lockReason}`);

describe.skipIf(lockReason !== "")("real apt-get (this controller)", () => {
  test("the install argv is accepted by apt-get (simulated), options and all", () => {
    const argv = installCommands("apt", ["jq"], { lockTimeoutSeconds: 5 })[0]!;
    // -s: simulate; nothing is installed and no lock is taken.
    const r = run([...argv.slice(0, 4), "-s", ...argv.slice(4)]);
    expect(r.stderr).not.toContain("E: ");
    expect(r.code).toBe(0);
  });

  test("a held dpkg lock is waited for up to the bound, then a clear failure (not at once)", async () => {
    // Hold /var/lib/dpkg/lock-frontend with an fcntl lock, as a running apt/dpkg does. The package
    // does not exist, so even if the lock were ignored nothing would be installed.
    const holder = Bun.spawn(
      ["python3", "-c", "import fcntl,sys,time\nf=open('/var/lib/dpkg/lock-frontend','w')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(30)"],
      { stdout: "pipe", stderr: "inherit" },
    );
    try {
      const reader = holder.stdout.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toContain("locked");
      const argv = installCommands("apt", ["hostkit-no-such-package"], { lockTimeoutSeconds: 2 })[0]!;
      const t0 = performance.now();
      const r = run(argv);
      const waited = performance.now() - t0;
      console.log(`apt-get with the dpkg lock held: exit ${r.code} after ${waited.toFixed(0)} ms; ${installErrorLine(r.stderr)}`);
      expect(r.code).toBe(100);
      // Recorded on apt 2.6.1: "Waiting for cache lock: Could not get lock … held by process N" while
      // waiting, then this line.
      expect(r.stdout + r.stderr).toContain("Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend");
      expect(installErrorLine(r.stderr)).toBe("E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?");
      // It waited (the bound is 2 s) instead of failing at once.
      expect(waited).toBeGreaterThanOrEqual(1900);
    } finally {
      holder.kill();
      await holder.exited;
    }
  });
});
