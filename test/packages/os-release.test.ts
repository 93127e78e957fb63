/** os-release parsing and mapping, on the real files recorded in reference packages.md §3.1. */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { chooseManager, managersFor, parseOsRelease, repologyRepository } from "../../src/packages/os-release.ts";

// Real files (docker images; reference packages.md §3.1).
const SAMPLES: Record<string, string> = {
  debian12: `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`,
  alpine: `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.0
PRETTY_NAME="Alpine Linux v3.19"
`,
  fedora: `NAME="Fedora Linux"
VERSION="39 (Container Image)"
ID=fedora
VERSION_ID=39
VERSION_CODENAME=""
PLATFORM_ID="platform:f39"
`,
  arch: `NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
VERSION_ID=20240101.0.204074
`,
  rocky: `ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
`,
  amzn: `ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
`,
  tumbleweed: `ID="opensuse-tumbleweed"
ID_LIKE="opensuse suse"
VERSION_ID="20240111"
`,
  kali: `ID=kali
ID_LIKE=debian
VERSION_ID="2023.4"
`,
  ubuntu2404: `PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.1 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=noble
`,
  debianSid: `PRETTY_NAME="Debian GNU/Linux stretch/sid"
NAME="Debian GNU/Linux"
ID=debian
`,
};

describe("parseOsRelease", () => {
  test("the fields of a real Debian 12 file", () => {
    const os = parseOsRelease(SAMPLES.debian12!);
    expect(os).toMatchObject({
      id: "debian",
      idLike: [],
      versionId: "12",
      versionCodename: "bookworm",
      name: "Debian GNU/Linux",
      prettyName: "Debian GNU/Linux 12 (bookworm)",
    });
    expect(os.fields.VERSION).toBe("12 (bookworm)");
  });

  test("quoted and unquoted values, ID_LIKE lists, empty values", () => {
    expect(parseOsRelease(SAMPLES.rocky!)).toMatchObject({ id: "rocky", idLike: ["rhel", "centos", "fedora"], versionId: "9.3" });
    // VERSION_CODENAME="" is empty: reported as absent.
    expect(parseOsRelease(SAMPLES.fedora!).versionCodename).toBeUndefined();
    expect(parseOsRelease(SAMPLES.fedora!).fields.PLATFORM_ID).toBe("platform:f39");
  });

  test("os-release(5) quoting: backslash escapes in double quotes, literal single quotes, comments", () => {
    const os = parseOsRelease(
      [
        "# a comment",
        "",
        'NAME="Acme \\"Linux\\" \\$HOME \\\\ \\`x\\`"',
        "PRETTY_NAME='Acme $NOT_EXPANDED \\n'",
        "ID=acme",
        "VARIANT=con\\ tainer",
        "CONCAT=\"a\"'b'c",
        "   ID_LIKE=\"debian\"   ",
      ].join("\n"),
    );
    expect(os.name).toBe('Acme "Linux" $HOME \\ `x`');
    expect(os.prettyName).toBe("Acme $NOT_EXPANDED \\n");
    expect(os.fields.VARIANT).toBe("con tainer");
    expect(os.fields.CONCAT).toBe("abc");
    expect(os.idLike).toEqual(["debian"]);
  });

  test("hostile or malformed lines are dropped, never evaluated", () => {
    const os = parseOsRelease(
      [
        'ID="debian',           // unterminated quote
        "ID=debian; rm -rf /",  // unquoted space
        "export VERSION_ID=12", // not an assignment os-release allows
        "1BAD=x",
        "=x",
        "VERSION_ID=$(id)",
        "NAME=ok\r",
      ].join("\n"),
    );
    expect(os.id).toBe("linux"); // both ID lines were malformed: the documented default
    expect(os.fields["export VERSION_ID"]).toBeUndefined();
    expect(os.versionId).toBe("$(id)"); // a literal string…
    expect(repologyRepository({ ...os, id: "debian" })).toBeUndefined(); // …that never becomes a repository id
    expect(os.name).toBe("ok");
  });

  test("the real /etc/os-release of this machine parses", () => {
    if (!existsSync("/etc/os-release")) {
      console.log("skip: no /etc/os-release on this machine");
      return;
    }
    const os = parseOsRelease(readFileSync("/etc/os-release", "utf8"));
    expect(os.id).toMatch(/^[a-z0-9._-]+$/);
    console.log(`this machine: ${os.prettyName} → ${repologyRepository(os)} (${managersFor(os).join(", ")})`);
  });
});

describe("repologyRepository", () => {
  test.each([
    ["debian12", "debian_12"],
    ["debianSid", "debian_unstable"],
    ["ubuntu2404", "ubuntu_24_04"],
    ["fedora", "fedora_39"],
    ["alpine", "alpine_3_19"], // 3.19.0 truncated to major.minor
    ["arch", "arch"], // the build stamp in VERSION_ID is ignored
    ["rocky", "rocky_9"],
    ["tumbleweed", "opensuse_tumbleweed"],
  ])("%s → %s", (sample, repo) => {
    expect(repologyRepository(parseOsRelease(SAMPLES[sample]!))).toBe(repo);
  });

  test("the repositories the issue names", () => {
    expect(repologyRepository(parseOsRelease("ID=fedora\nVERSION_ID=41"))).toBe("fedora_41");
    expect(repologyRepository(parseOsRelease("ID=alpine\nVERSION_ID=3.20.3"))).toBe("alpine_3_20");
    expect(repologyRepository(parseOsRelease("ID=alpine\nVERSION_ID=3.21.0_alpha20240807"))).toBe("alpine_edge");
    expect(repologyRepository(parseOsRelease('ID=centos\nNAME="CentOS Stream"\nVERSION_ID="9"'))).toBe("centos_stream_9");
  });

  test("no repository is guessed from ID_LIKE (kali is not debian_*, Amazon 2023 has none)", () => {
    expect(repologyRepository(parseOsRelease(SAMPLES.kali!))).toBeUndefined();
    expect(repologyRepository(parseOsRelease(SAMPLES.amzn!))).toBeUndefined();
  });
});

describe("package managers", () => {
  test("ID first, then ID_LIKE in order", () => {
    expect(managersFor(parseOsRelease(SAMPLES.debian12!))).toEqual(["apt"]);
    expect(managersFor(parseOsRelease(SAMPLES.kali!))).toEqual(["apt"]);
    expect(managersFor(parseOsRelease(SAMPLES.rocky!))).toEqual(["dnf"]);
    expect(managersFor(parseOsRelease(SAMPLES.alpine!))).toEqual(["apk"]);
    expect(managersFor(parseOsRelease(SAMPLES.arch!))).toEqual(["pacman"]);
    expect(managersFor(parseOsRelease(SAMPLES.tumbleweed!))).toEqual([]); // zypper: not supported
  });

  test("chooseManager: pinned, by os-release, the only one present, or a clear error", () => {
    const debian = parseOsRelease(SAMPLES.debian12!);
    expect(chooseManager(debian, ["apt"])).toEqual({ ok: true, manager: "apt" });
    expect(chooseManager(debian, ["apk", "apt"])).toEqual({ ok: true, manager: "apt" });
    expect(chooseManager(debian, ["apt"], "apt")).toEqual({ ok: true, manager: "apt" });
    expect(chooseManager(debian, ["apt"], "yum")).toEqual({
      ok: false,
      message: 'unknown package manager "yum"',
      hint: "use one of apt, dnf, apk, pacman",
    });
    expect(chooseManager(debian, ["apt"], "dnf")).toEqual({
      ok: false,
      message: 'package manager "dnf" (dnf) is not installed on Debian GNU/Linux 12 (bookworm)',
    });
    const tw = parseOsRelease(SAMPLES.tumbleweed!);
    expect(chooseManager(tw, ["dnf"])).toEqual({ ok: true, manager: "dnf" });
    expect(chooseManager(tw, [])).toMatchObject({ ok: false, message: expect.stringContaining("no supported package manager on opensuse-tumbleweed 20240111") });
    expect(chooseManager(tw, ["dnf", "apk"])).toMatchObject({ ok: false, hint: 'pin one with manager: "dnf"' });
  });
});
