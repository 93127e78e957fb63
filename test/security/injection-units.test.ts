/**
 * Issue 8, item 8 (names and specifiers; path normalisation is tested elsewhere): systemd expands `%`
 * specifiers in unit values, so `onCalendar: "%n daily"` was rendered into a schedule systemd rewrites;
 * a unit named `..service` was accepted (systemd ignores hidden unit files: never enabled). Now, through
 * the compiled binary: calendar specs and time spans are checked at load time, unit names follow
 * systemd.unit(5) with no hidden, option-like or bare-template names, and a raw `%` in any unit value
 * is refused — while every spec systemd itself accepts (checked with `systemd-analyze calendar`) and
 * percentages such as `CPUQuota=50%` still work.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { hk, infra, oneDiagnostic, removeTempDirs, tempDir } from "./secrets-helpers.ts";

afterAll(removeTempDirs);

/** [what, declaration (line 3 of the infra file), the diagnostic after "config.ts:3: "]. */
const HOSTILE: [string, string, string][] = [
  ["a % specifier in a calendar spec", `p.timer("t", { onCalendar: "%n daily", exec: ["/bin/true"] });`, `project "inj" › timer "t" › onCalendar: contains "%", which is not part of a calendar spec (systemd would expand it as a specifier)`],
  ["a line break in a calendar spec", `p.timer("t", { onCalendar: "daily\\nOnBootSec=1", exec: ["/bin/true"] });`, `project "inj" › timer "t" › onCalendar: contains "\\n", which is not part of a calendar spec`],
  ["a ';' in a calendar spec", `p.timer("t", { onCalendar: "daily; rm -rf /", exec: ["/bin/true"] });`, `project "inj" › timer "t" › onCalendar: contains ";", which is not part of a calendar spec`],
  ["a % in a time span", `p.timer("t", { onBootSec: "5%i", exec: ["/bin/true"] });`, `project "inj" › timer "t" › onBootSec: must be a time span such as "5min" or "1h 30m"`],
  ["a % in randomizedDelaySec", `p.timer("t", { onCalendar: "daily", randomizedDelaySec: "%h", exec: ["/bin/true"] });`, `project "inj" › timer "t" › randomizedDelaySec: must be a time span such as "5min" or "1h 30m"`],
  ["a daemon named ..service", `p.service("w", (s) => s.daemon({ name: "..service", exec: ["/bin/true"] }));`, `service "w" › daemon › name: "..service" is not a valid unit name: it starts with '.' (systemd ignores hidden unit files)`],
  ["a hidden unit name", `p.service("w", (s) => s.daemon({ name: ".web.service", exec: ["/bin/true"] }));`, `service "w" › daemon › name: ".web.service" is not a valid unit name: it starts with '.' (systemd ignores hidden unit files)`],
  ["a unit name starting with '-'", `p.service("w", (s) => s.daemon({ name: "-web.service", exec: ["/bin/true"] }));`, `service "w" › daemon › name: "-web.service" is not a valid unit name: it starts with '-'`],
  ["a bare template", `p.service("w", (s) => s.daemon({ name: "web@.service", exec: ["/bin/true"] }));`, `service "w" › daemon › name: "web@.service" is not a valid unit name: it is a template (nothing after '@'); name an instance`],
  ["two '@'", `p.service("w", (s) => s.daemon({ name: "a@b@c.service", exec: ["/bin/true"] }));`, `service "w" › daemon › name: "a@b@c.service" is not a valid unit name: it contains more than one '@'`],
  ["a timer named '.'", `p.timer(".", { onCalendar: "daily", exec: ["/bin/true"] });`, `project "inj" › timer "." › name: "..timer" is not a valid unit name: it starts with '.' (systemd ignores hidden unit files)`],
  ["a unit prefix starting with '-'", `p.prefixes({ unit: "-" });`, `project "inj" › prefixes › unit: must not start with '-' (unit names starting with '-' read as options)`],
  ["a dependency on a hidden unit", `p.service("w", (s) => s.daemon({ after: "..service", exec: ["/bin/true"] }));`, `service "w" › daemon › after: "..service" is neither a target alias nor a unit name`],
  ["a % specifier in a sandbox override", `p.service("w", (s) => s.daemon({ exec: ["/bin/true"], isolate: { readOnlyPaths: "/home/%u" } }));`, `service "w" › daemon › [Service] ReadOnlyPaths=: value "/home/%u" contains "%u", which systemd would expand as a specifier`],
  ["a % specifier in a resource limit", `p.service("w", (s) => s.daemon({ exec: ["/bin/true"], resources: { memoryMax: "%n" } }));`, `service "w" › daemon › [Service] MemoryMax=: value "%n" contains "%n", which systemd would expand as a specifier`],
];

describe.each(HOSTILE)("%s", (_what, decl, message) => {
  test("one load-time diagnostic with file:line; apply --root writes nothing", async () => {
    const dir = tempDir("hk-inj-unit-");
    infra(dir, `export default project("inj", (p) => {\n  ${decl}\n});`);
    const root = tempDir("hk-inj-unit-root-");
    const r = await hk(["apply", "config.ts", "--root", root, "--confirm"], { cwd: dir });
    expect(oneDiagnostic(r)).toBe(`error: config.ts:3: ${message}`);
    expect(existsSync(`${root}/etc`)).toBe(false);
  });
});

/** Calendar specs from systemd.time(7) (and ones people write), each accepted by systemd itself. */
const SPECS = ["daily", "weekly", "hourly", "minutely", "Mon *-*-* 03:00", "Sat,Sun 10:00", "Mon..Fri 08:30", "*-*-* 00/15:00", "*:0/5", "2030-01-01 00:00:00", "*-*~01 12:00", "Wed *-1..7 04:00", "12:00 UTC", "*-*-* 06:00 Europe/Berlin", "Sun *-*-* 02:30:00.5"];

test("every calendar spec systemd-analyze accepts is accepted, and rendered unchanged", async () => {
  const dir = tempDir("hk-inj-unit-");
  const analyze = Bun.spawnSync(["systemd-analyze", "calendar", ...SPECS]);
  // The oracle: systemd parses each of them (exit 0 only when all parse).
  expect({ code: analyze.exitCode, stderr: analyze.stderr.toString() }).toEqual({ code: 0, stderr: "" });
  infra(dir, `export default project("inj", (p) => {\n${SPECS.map((s, i) => `  p.timer("t${i}", { onCalendar: ${JSON.stringify(s)}, onBootSec: "5min", randomizedDelaySec: "1h 30m", exec: ["/bin/true"] });`).join("\n")}\n  p.service("w", (s) => s.daemon({ exec: ["/bin/true"], resources: { cpuQuota: "50%", memoryMax: "512M" }, description: "100% up" }));\n});`);
  const root = tempDir("hk-inj-unit-root-");
  const r = await hk(["apply", "config.ts", "--root", root, "--confirm"], { cwd: dir });
  // Progress lines go to stderr; no error or warning among them.
  expect(r.stderr.split("\n").filter((l) => /error|warning|refus/i.test(l))).toEqual([]);
  expect(r.code).toBe(0);
  for (const [i, s] of SPECS.entries()) expect(await Bun.file(`${root}/etc/systemd/system/t${i}.timer`).text()).toContain(`\nOnCalendar=${s}\n`);
  const unit = await Bun.file(`${root}/etc/systemd/system/w.service`).text();
  expect(unit).toContain("\nCPUQuota=50%\n");
  expect(unit).toContain("\nDescription=100%% up\n");
});
