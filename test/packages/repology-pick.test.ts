/** The pure name-picking rules (reference packages.md §2), on recorded and documented shapes. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatDiagnostic } from "../../src/model/errors.ts";
import { asPackageList, pickInstallable, projectName, resolveDiagnostic, ResolveError, type RepologyPackage } from "../../src/packages/repology-pick.ts";
import { FIXTURES } from "./repology-server.ts";

const recorded = (name: string) => asPackageList(JSON.parse(readFileSync(join(FIXTURES, `project-${name}.json`), "utf8")))!;

function pickError(f: () => unknown): ResolveError {
  try {
    f();
  } catch (e) {
    if (e instanceof ResolveError) return e;
    throw e;
  }
  throw new Error("expected a ResolveError");
}

/** Shape of a 2025+ project response for Debian: srcname only, binary names in `binnames`. */
const debianEntry = (srcname: string, binnames: string[], extra: Partial<RepologyPackage> = {}): RepologyPackage => ({
  repo: "debian_12",
  subrepo: "bookworm/main",
  srcname,
  binnames,
  visiblename: srcname,
  version: "1.0",
  origversion: "1.0-1",
  status: "newest",
  ...extra,
});

describe("projectName", () => {
  test("semantic names use _ where Repology projects use -", () => {
    expect(projectName("ca_certificates")).toBe("ca-certificates");
    expect(projectName("abseil_cpp")).toBe("abseil-cpp");
    expect(projectName("jq")).toBe("jq");
  });
});

describe("pickInstallable", () => {
  test("recorded a2ps: Debian/Ubuntu/Fedora by srcname, Arch/Alpine by binname among split packages", () => {
    const a2ps = recorded("a2ps");
    expect(pickInstallable("a2ps", "a2ps", "debian_12", a2ps)).toEqual({
      semantic: "a2ps", project: "a2ps", repository: "debian_12", name: "a2ps", version: "1:4.14-8",
    });
    expect(pickInstallable("a2ps", "a2ps", "alpine_3_23", a2ps).name).toBe("a2ps"); // not a2ps-doc
    expect(pickInstallable("a2ps", "a2ps", "fedora_43", a2ps).version).toBe("4.15.8-1.fc43"); // updates, not legacy release
  });

  test("binnames (project endpoint since 2025-05-29): the one equal to the project is chosen", () => {
    // Debian 12's Sources: build-essential builds build-essential and crossbuild-essential-*.
    const list = [debianEntry("build-essential", ["build-essential", "crossbuild-essential-amd64", "crossbuild-essential-arm64"])];
    expect(pickInstallable("build_essential", "build-essential", "debian_12", list).name).toBe("build-essential");
  });

  test("several unrelated binary names → an error asking for as:", () => {
    const list = [debianEntry("abseil", ["libabsl20220623", "libabsl-dev"])];
    const e = pickError(() => pickInstallable("abseil_cpp", "abseil-cpp", "debian_12", list));
    expect(e.kind).toBe("ambiguous");
    expect(e.message).toBe('Repology project "abseil-cpp" has 2 different packages in debian_12: libabsl-dev, libabsl20220623');
    expect(e.hint).toBe('choose one with as: "<name>"');
  });

  test("a long candidate list is shortened in the message", () => {
    const list = [debianEntry("x", Array.from({ length: 20 }, (_, i) => `lib${i}`))];
    const e = pickError(() => pickInstallable("y", "y", "debian_12", list));
    expect(e.message).toContain("… (20 in all)");
  });

  test("the same source in two subrepos is one candidate, not an ambiguity", () => {
    const list = recorded("firefox").filter((p) => p.repo === "debian_12");
    expect(list.length).toBe(2);
    expect(pickInstallable("firefox", "firefox", "debian_12", list).name).toBe("firefox-esr");
  });

  test("a name that could smuggle an option or shell text into argv is refused", () => {
    for (const bad of ["-oAPT::Get=x", "a b", "x;rm", "$(id)"]) {
      const e = pickError(() => pickInstallable("p", "p", "debian_12", [debianEntry(bad, [])]));
      expect(e.kind).toBe("unavailable");
      expect(e.message).toContain("which is not a package name");
    }
  });

  test("asPackageList refuses bodies that are not the documented shape", () => {
    expect(asPackageList({})).toBeUndefined();
    expect(asPackageList([{ repo: "x" }])).toBeUndefined();
    expect(asPackageList([{ repo: "x", version: "1", binnames: [1] }])).toBeUndefined();
    expect(asPackageList([])).toEqual([]);
  });
});

describe("resolveDiagnostic", () => {
  test("names the declaration, its file:line and the hint", () => {
    const e = pickError(() => pickInstallable("nope", "nope", "debian_12", []));
    const d = resolveDiagnostic(e, "package:nope", { file: "infra.ts", line: 7 });
    expect(formatDiagnostic(d)).toBe(
      'infra.ts:7: package:nope: Repology has no project "nope" (looked up for package "nope")\n  hint: give the debian_12 package name with as: "<name>"',
    );
  });
});
