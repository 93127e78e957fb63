/** The package lock: deterministic bytes, round trips, clear misses, zero requests, hostile files. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostKitError } from "../../src/model/errors.ts";
import { PackageLock, recordingResolver, type LockEntry } from "../../src/packages/package-lock.ts";
import { RepologyClient, ResolveError } from "../../src/packages/repology.ts";
import { startRepologyServer, type RepologyServer } from "./repology-server.ts";

let dir: string;
let server: RepologyServer;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hostkit-lock-"));
  server = startRepologyServer();
});
afterAll(() => {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const E = (semantic: string, repository: string, name: string, version: string, project = semantic.replaceAll("_", "-")): LockEntry => ({
  semantic, repository, project, name, version,
});
const entries = [
  E("firefox", "debian_12", "firefox-esr", "128.5.0esr-1~deb12u1"),
  E("ca_certificates", "debian_12", "ca-certificates", "20230311+deb12u1"),
  E("firefox", "arch", "firefox", "133.0-1"),
  E("abseil_cpp", "ubuntu_24_04", "abseil", "20220623.1-3.1ubuntu3"),
];

describe("serialize", () => {
  test("sorted by name then repository, one entry per line, fixed key order", () => {
    expect(new PackageLock(entries).serialize()).toBe(
      `{"hostkit_package_lock": 1, "packages": [
{"semantic": "abseil_cpp", "repository": "ubuntu_24_04", "project": "abseil-cpp", "name": "abseil", "version": "20220623.1-3.1ubuntu3"},
{"semantic": "ca_certificates", "repository": "debian_12", "project": "ca-certificates", "name": "ca-certificates", "version": "20230311+deb12u1"},
{"semantic": "firefox", "repository": "arch", "project": "firefox", "name": "firefox", "version": "133.0-1"},
{"semantic": "firefox", "repository": "debian_12", "project": "firefox", "name": "firefox-esr", "version": "128.5.0esr-1~deb12u1"}
]}
`,
    );
  });

  test("the same entries in any order give the same bytes; an empty lock is valid", () => {
    const a = new PackageLock(entries).serialize();
    const b = new PackageLock([...entries].reverse()).serialize();
    const c = new PackageLock([entries[2]!, entries[0]!, entries[3]!, entries[1]!]).serialize();
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(new PackageLock().serialize()).toBe(`{"hostkit_package_lock": 1, "packages": [\n]}\n`);
    expect(PackageLock.parse(new PackageLock().serialize(), "x").entries()).toEqual([]);
  });

  test("write → read → write is byte-identical", () => {
    const file = join(dir, "hostkit.package.lock");
    new PackageLock(entries).write(file);
    const first = readFileSync(file, "utf8");
    const again = PackageLock.read(file);
    expect(again.entries()).toEqual(new PackageLock(entries).entries());
    again.write(file);
    expect(readFileSync(file, "utf8")).toBe(first);
  });
});

describe("resolving through the lock", () => {
  test("a hit is the recorded resolution, with zero HTTP requests", async () => {
    const lock = new PackageLock(entries, "hostkit.package.lock");
    const before = server.requests.length;
    expect(await lock.resolve("firefox", "debian_12")).toEqual(entries[0]!);
    expect(server.requests.length).toBe(before);
  });

  test("a miss names the package, the repository and the lock file", async () => {
    const lock = new PackageLock(entries, "hostkit.package.lock");
    const miss = async (s: string, r: string) => {
      try {
        await lock.resolve(s, r);
      } catch (e) {
        return e as ResolveError;
      }
      throw new Error("expected a miss");
    };
    const e = await miss("firefox", "fedora_41");
    expect(e).toBeInstanceOf(ResolveError);
    expect(e.kind).toBe("not-locked");
    expect(e.message).toBe('package "firefox" for repository fedora_41 is not in hostkit.package.lock');
    expect((await miss("jq", "debian_12")).message).toBe('package "jq" for repository debian_12 is not in hostkit.package.lock');
  });

  test("--write-package-lock: resolutions through Repology are recorded, then replayed without requests", async () => {
    const lock = new PackageLock();
    const client = new RepologyClient({ cacheDir: join(dir, "cache"), baseUrl: server.url });
    const r = recordingResolver(client, lock);
    await r.resolve("firefox", "debian_12");
    await r.resolve("abseil_cpp", "ubuntu_24_04");
    const file = join(dir, "recorded.lock");
    lock.write(file);

    const replay = PackageLock.read(file);
    const before = server.requests.length;
    expect(await replay.resolve("firefox", "debian_12")).toMatchObject({ name: "firefox-esr", version: "128.5.0esr-1~deb12u1" });
    expect(await replay.resolve("abseil_cpp", "ubuntu_24_04")).toMatchObject({ project: "abseil-cpp", name: "abseil" });
    expect(server.requests.length).toBe(before);
  });
});

describe("hostile or broken lock files", () => {
  const good = new PackageLock(entries).serialize();
  function parseError(text: string): string {
    try {
      PackageLock.parse(text, "infra/hostkit.package.lock");
    } catch (e) {
      expect(e).toBeInstanceOf(HostKitError);
      return (e as Error).message;
    }
    throw new Error("expected the lock to be refused");
  }

  test("an entry whose name would smuggle an option or shell text is refused at its line", () => {
    const text = good.replace('"name": "firefox-esr"', '"name": "-oAPT::Get::AllowUnauthenticated=true"');
    expect(parseError(text)).toBe(
      'infra/hostkit.package.lock:5: package entry 4: "name" "-oAPT::Get::AllowUnauthenticated=true" contains characters a package name cannot have\n' +
        "  hint: regenerate it with `hostkit plan --write-package-lock FILE`",
    );
    expect(parseError(good.replace('"name": "abseil"', '"name": "abseil; reboot"'))).toStartWith("infra/hostkit.package.lock:2: package entry 1:");
    expect(parseError(good.replace('"semantic": "firefox", "repository": "arch"', '"semantic": "Firefox\\n", "repository": "arch"'))).toContain(
      "is not a valid package name",
    );
  });

  test("not JSON, another format version, missing keys, extra keys, duplicates", () => {
    expect(parseError("name = jq")).toStartWith("infra/hostkit.package.lock:1: not a HostKit package lock:");
    expect(parseError(good.replace('"hostkit_package_lock": 1', '"hostkit_package_lock": 2'))).toContain("unsupported package lock format 2");
    expect(parseError(good.replace(', "version": "133.0-1"', ""))).toContain('package entry 3: "version" must be a non-empty string');
    expect(parseError(good.replace('"version": "133.0-1"', '"version": "133.0-1", "run": "x"'))).toContain('unknown key "run"');
    const dup = good.replace("]}", "").trimEnd() + `,\n{"semantic": "firefox", "repository": "arch", "project": "firefox", "name": "firefox", "version": "1"}\n]}\n`;
    expect(parseError(dup)).toContain('infra/hostkit.package.lock:6: package "firefox" for arch is listed twice');
  });

  test("versions are only shown: printable text is kept, a control character is refused", () => {
    const spaced = good.replace('"version": "133.0-1"', '"version": "133.0 beta (x)"');
    expect(PackageLock.parse(spaced, "l").get("firefox", "arch")?.version).toBe("133.0 beta (x)");
    expect(parseError(good.replace('"version": "133.0-1"', '"version": "133.0\\u001b[2J"'))).toContain('"version" "133.0\\u001b[2J" is not a one-line printable version');
  });

  test("a missing file is one clear error", () => {
    expect(() => PackageLock.read(join(dir, "nope.lock"))).toThrow(`cannot read package lock ${join(dir, "nope.lock")}: ENOENT`);
  });

  test("a lock written by hand in another layout still parses (only positions in messages need ours)", () => {
    const file = join(dir, "pretty.lock");
    writeFileSync(file, JSON.stringify({ hostkit_package_lock: 1, packages: entries }, null, 2));
    expect(PackageLock.read(file).serialize()).toBe(good);
  });
});
