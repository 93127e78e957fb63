/**
 * Every unit rendered from every example passes the real `systemd-analyze verify`, and the
 * sandbox profiles meant for applications score low in `systemd-analyze security --offline=true`.
 *
 * What is filtered from verify's output, and only that: "<unit>: Command <program> is not
 * executable: No such file or directory" where <program> is that unit's own ExecStart program
 * (the examples' programs, /usr/local/bin/mix and friends, are not installed here). Unknown keys,
 * unknown sections, unparsable values and quoting errors all fail.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { compile } from "../../src/compile/index.ts";
import { project } from "../../src/dsl/index.ts";
import { load } from "../../src/load.ts";
import { renderResource } from "../../src/render/index.ts";
import type { SandboxProfile } from "../../src/runtime/sandbox.ts";
import { REPO } from "../helpers/cli.ts";
import { EXAMPLES } from "../helpers/examples.ts";
import { execStartValues, noSystemdAnalyze, securityExposure, systemdExecArgv, verifyUnits, type Units } from "../helpers/systemd.ts";
import { cannotRun } from "../helpers/real-host.ts";

/** Highest acceptable exposure for the application profiles (systemd rates < 2 "SAFE", < 5 "OK"). */
const MAX_EXPOSURE = 2.5;

async function exampleUnits(file: string, require: string[]): Promise<Units> {
  const p = await load(join(REPO, file), { require: require.map((f) => join(REPO, f)) });
  const units: Units = {};
  for (const r of p.resources) if (r.type === "systemd_service" || r.type === "systemd_timer") units[r.id] = renderResource(r)!;
  return units;
}

function programs(units: Units): Record<string, string[]> {
  return Object.fromEntries(Object.entries(units).map(([name, text]) => [name, execStartValues(text).map((v) => systemdExecArgv(v)[0]!)]));
}

/** Units of every example, rendered in-process (examples/examples.test.ts checks the CLI renders the same). */
const UNITS = new Map(await Promise.all(EXAMPLES.map(async (ex) => [ex.file, await exampleUnits(ex.file, ex.require)] as const)));

const why = noSystemdAnalyze ? ` (skipped: ${noSystemdAnalyze})` : "";

describe.skipIf(cannotRun("test/examples/systemd-verify.test.ts", noSystemdAnalyze))(`systemd-analyze verify${why}`, () => {
  test("the examples render units at all (so the checks below check something)", () => {
    const count = [...UNITS.values()].reduce((n, units) => n + Object.keys(units).length, 0);
    expect(count).toBeGreaterThanOrEqual(15);
  });

  for (const [file, units] of UNITS) {
    if (!Object.keys(units).length) continue; // file-modes.ts and files-and-rollback.ts declare no units
    test(`every unit of ${file} (${Object.keys(units).join(", ")}) verifies with no unknown-key, syntax or value warnings`, () => {
      const r = verifyUnits(units, programs(units));
      expect(r.problems).toEqual([]);
      // Only the missing-program line may remain, once per unit that has an ExecStart.
      expect(r.filtered.length).toBeLessThanOrEqual(Object.keys(units).length);
    });
  }

  test("verify reports an unknown key and a bad value (the filter lets them through)", () => {
    const r = verifyUnits(
      { "bad.service": "[Service]\nType=exec\nExecStart=/usr/local/bin/mix\nProtectSytem=strict\nRestartSec=ten\n" },
      { "bad.service": ["/usr/local/bin/mix"] },
    );
    expect(r.problems.join("\n")).toMatch(/Unknown key 'ProtectSytem'/);
    expect(r.problems.join("\n")).toMatch(/Failed to parse .*ten/);
    expect(r.filtered).toEqual(["bad.service: Command /usr/local/bin/mix is not executable: No such file or directory"]);
  });
});

describe.skipIf(cannotRun("test/examples/systemd-verify.test.ts (security)", noSystemdAnalyze))(`systemd-analyze security --offline=true${why}`, () => {
  const PROFILES: SandboxProfile[] = ["strict_app", "untrusted", "strict_web", "web_service", "vibe_dev"];
  // One service per profile, as a user would write it: own account, one writable storage.
  const compiled = compile(
    project("sec", (p) => {
      p.roots({ data: "/srv/sec" });
      for (const profile of PROFILES) {
        p.service(profile.replaceAll("_", "-"), (s) => {
          s.account({ system: true });
          s.storage("data", { mode: 0o750 });
          s.daemon({ exec: ["/usr/local/bin/app"], isolate: { profile, writable: ["data"] } });
        });
      }
    }),
  );
  const scores = new Map<SandboxProfile, number>();
  beforeAll(() => {
    for (const profile of PROFILES) {
      const unit = compiled.resources.find((r) => r.id === `${profile.replaceAll("_", "-")}.service`)!;
      scores.set(profile, securityExposure(unit.id, renderResource(unit)!));
    }
  });

  test(`strict_app and untrusted score at most ${MAX_EXPOSURE}`, () => {
    console.log(`exposure by profile: ${[...scores].map(([p, s]) => `${p} ${s}`).join(", ")}`);
    expect(scores.get("strict_app")!).toBeLessThanOrEqual(MAX_EXPOSURE);
    expect(scores.get("untrusted")!).toBeLessThanOrEqual(MAX_EXPOSURE);
    expect(scores.get("untrusted")!).toBeLessThanOrEqual(scores.get("strict_app")!);
  });

  test("the looser profiles really are looser (the score measures something)", () => {
    expect(scores.get("web_service")!).toBeGreaterThan(scores.get("strict_app")!);
    expect(scores.get("vibe_dev")!).toBeGreaterThan(scores.get("strict_app")!);
  });

  test(`the examples' strict_app and untrusted daemons score at most ${MAX_EXPOSURE} too`, () => {
    const units = UNITS.get("examples/runtime-isolation.ts")!;
    const api = securityExposure("toys-api.service", units["toys-api.service"]!); // strict_app, loopback
    const jobs = securityExposure("toys-jobs.service", units["toys-jobs.service"]!); // untrusted + memoryMax
    console.log(`exposure of examples: toys-api (strict_app) ${api}, toys-jobs (untrusted) ${jobs}`);
    expect(api).toBeLessThanOrEqual(MAX_EXPOSURE);
    expect(jobs).toBeLessThanOrEqual(MAX_EXPOSURE);
  });
});
