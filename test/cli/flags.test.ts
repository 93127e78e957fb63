/**
 * Issue 11, points 1 and 4, through the compiled binary: a mistyped flag or a bad value stops the
 * command with a "did you mean" (exit 2) before anything is read or applied; every verb takes
 * --verbose/--quiet; --only/--ignore mean the same on plan, apply and down; --password warns and
 * is wiped from the process list.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binary, hk, leaks } from "../helpers/binary.ts";

let dir = "";
let infra = "";
const fresh = () => mkdtempSync(join(dir, "root-"));

beforeAll(async () => {
  await binary();
  dir = mkdtempSync(join(tmpdir(), "hostkit-flags-"));
  infra = join(dir, "infra.ts");
  writeFileSync(
    infra,
    `import { project } from "hostkit";
export default project("flags", (p) => {
  p.directory("/etc/flags", { mode: 0o755 });
  p.file("/etc/flags/a.conf", { content: "a\\n" });
  p.file("/etc/flags/b.conf", { content: "b\\n" });
  p.file("/srv/other.conf", { content: "o\\n" });
});
`,
  );
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("unknown flags and bad values are usage errors (exit 2), with a did-you-mean", () => {
  test("apply --dryrun applies nothing (it used to apply everything)", async () => {
    const root = join(dir, "never");
    const r = await hk(["apply", infra, "--root", root, "--confirm", "--dryrun"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown flag --dryrun for hostkit apply\n  hint: did you mean --dry-run? (hostkit apply --help lists the flags)\n");
    expect(r.stdout).toBe("");
    expect(existsSync(root)).toBe(false);
  });

  test("plan --roott names --root (it used to say 'choose a target')", async () => {
    const r = await hk(["plan", infra, "--roott", "/tmp/x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown flag --roott for hostkit plan\n  hint: did you mean --root?");
  });

  test("bad values: --concurrency abc, --port 0, --confirm=yes, a missing value, an extra argument, an unknown short flag", async () => {
    const cases: [string[], string][] = [
      [["plan", infra, "--root", "/tmp/x", "--concurrency", "abc"], 'error: --concurrency "abc": expected a whole number from 1 to 256\n'],
      [["plan", infra, "--remote", "h", "--port", "0"], 'error: --port "0": expected a whole number from 1 to 65535\n'],
      [["apply", infra, "--root", "/tmp/x", "--confirm=yes"], 'error: --confirm is a switch and takes no value (got "yes")\n'],
      [["plan", infra, "--root"], "error: --root needs a value\n  hint: hostkit plan --help\n"],
      [["plan", infra, "other.ts", "--root", "/tmp/x"], 'error: hostkit plan takes FILE; unexpected argument "other.ts"\n  hint: hostkit plan --help\n'],
      [["dump", infra, "-x"], "error: unknown flag -x for hostkit dump\n  hint: hostkit dump --help lists the flags\n"],
      [["deploy", infra], 'error: unknown command "deploy"\n  hint: hostkit help lists the commands\n'],
      [["aply", infra], 'error: unknown command "aply"\n  hint: did you mean hostkit apply? (hostkit help lists the commands)\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await hk(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr });
    }
  });

  test("with --detailed-exitcode a usage error exits 1, so 2 still means 'changes present'", async () => {
    const r = await hk(["plan", infra, "--root", fresh(), "--detailed-exitcode", "--outt", "x.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("did you mean --out?");
    const changes = await hk(["plan", infra, "--root", fresh(), "--detailed-exitcode"]);
    expect(changes.code).toBe(2);
  });
});

describe("--verbose and --quiet on every verb", () => {
  test("-q leaves results and errors; without it apply shows progress on stderr", async () => {
    const root = fresh();
    const loud = await hk(["apply", infra, "--root", root, "--confirm"]);
    expect(loud.code).toBe(0);
    expect(loud.stderr).toContain("applying 4 change(s)");
    expect(loud.stdout).toMatch(/^applied: run \S+ \(4 change\(s\)\)$/m);
    const quiet = await hk(["apply", infra, "--root", fresh(), "--confirm", "-q"]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toMatch(/^applied: run /m);
  });

  test("every verb accepts --verbose and --quiet", async () => {
    const help = await hk(["help"]);
    const verbs = [.../COMMANDS\n([\s\S]*?)\n\n/.exec(help.stdout)![1]!.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!);
    expect(verbs.length).toBeGreaterThan(8);
    for (const verb of verbs.filter((v) => v !== "help")) {
      const r = await hk([verb, "--verbose", "--quiet", "--help"]);
      expect({ verb, code: r.code }).toEqual({ verb, code: 0 });
    }
  });
});

describe("--only and --ignore: the same on plan, apply and down (key or glob)", () => {
  const keys = (stdout: string) => [...stdout.matchAll(/^[+~-] (\S+)/gm)].map((m) => m[1]);

  test("plan and apply select the same resources", async () => {
    const sel = ["--only", "file:/etc/flags/*", "--ignore", "file:/etc/flags/b.conf"];
    const planned = await hk(["plan", infra, "--root", fresh(), ...sel]);
    expect(planned.code).toBe(0);
    expect(keys(planned.stdout)).toEqual(["file:/etc/flags/a.conf"]);
    const root = fresh();
    const applied = await hk(["apply", infra, "--root", root, "--confirm", "--only", "directory:*", ...sel]);
    expect(applied.code).toBe(0);
    expect(keys(applied.stdout)).toEqual(["directory:/etc/flags", "file:/etc/flags/a.conf"]);
    expect(readFileSync(join(root, "etc/flags/a.conf"), "utf8")).toBe("a\n");
    expect(existsSync(join(root, "etc/flags/b.conf"))).toBe(false);
    expect(existsSync(join(root, "srv/other.conf"))).toBe(false);
  });

  test("down reverses the same selection of an applied plan", async () => {
    const root = fresh();
    const up = join(dir, "up.plan.json");
    expect((await hk(["plan", infra, "--root", root, "--out", up])).code).toBe(0);
    expect((await hk(["apply", "--plan", up, "--root", root, "--confirm"])).code).toBe(0);
    const d = await hk(["down", up, "--only", "file:/etc/flags/*", "--ignore", "file:/etc/flags/b.conf"]);
    expect(d.code).toBe(0);
    expect(keys(d.stdout)).toEqual(["file:/etc/flags/a.conf"]);
  });

  test("a pattern that matches nothing is an error naming the keys", async () => {
    for (const args of [["plan", infra, "--root", fresh()], ["apply", infra, "--root", fresh(), "--confirm"]]) {
      const r = await hk([...args, "--only", "file:/nope/*"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("error: --only file:/nope/*: no resource matches\n  hint: keys look like directory:/etc/flags, file:/etc/flags/a.conf, file:/etc/flags/b.conf, file:/srv/other.conf (hostkit dump lists them)\n");
    }
  });
});

describe("--password", () => {
  test("warns, points to --password-env, and the value is gone from /proc/PID/cmdline while it runs", async () => {
    // An SSH server that accepts the connection and never answers keeps hostkit waiting.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const secret = "hunter2-canary-91c3";
    const proc = Bun.spawn([await binary(), "plan", infra, "--remote", "127.0.0.1", "--port", String(silent.port), "--password", secret, "--accept-hosts"], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1" },
    });
    try {
      const reader = proc.stderr.getReader();
      let stderr = "";
      while (!stderr.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += new TextDecoder().decode(value);
      }
      expect(stderr).toStartWith("warning: --password puts the password on the command line, where other users of this machine can read it (ps, /proc); use --password-env NAME");
      const cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, "utf8").split("\0");
      expect(cmdline).not.toContain(secret);
      expect(cmdline[cmdline.indexOf("--password") + 1]).toBe("*".repeat(secret.length));
    } finally {
      proc.kill();
      await proc.exited;
      silent.stop(true);
    }
  }, 30_000);
});

test("none of these print a stack trace", async () => {
  const r = await hk(["plan", infra, "--roott", "x"]);
  expect(leaks(r.stderr)).toEqual([]);
});
