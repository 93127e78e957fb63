/**
 * --local on this machine, in throwaway paths with a throwaway account: useradd for real, a directory
 * and a file owned by it, an env file, and commands that run as that account in a working directory
 * with the env file loaded, their argv passed through untouched. A second plan has no changes.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Plan } from "../../src/model/plan.ts";
import { hostkit, infraFile, removeTempDirs, tempDir } from "../plan/helpers.ts";
import { cannotRun } from "../helpers/real-host.ts";

afterAll(removeTempDirs);

const USER = `hk-t${process.pid % 100000}`;
const canUseradd = Bun.which("useradd") !== null && process.getuid?.() === 0;
afterAll(() => {
  if (!canUseradd) return;
  Bun.spawnSync(["userdel", USER], { stderr: "ignore" });
  Bun.spawnSync(["groupdel", USER], { stderr: "ignore" });
});

const id = (flag: "-u" | "-g") => Number(Bun.spawnSync(["id", flag, USER]).stdout.toString().trim());

test.skipIf(cannotRun("test/apply/local.test.ts", canUseradd ? false : "needs root and useradd"))("account, owned directory and file, env file and commands, converged on this machine", async () => {
  const base = tempDir("hostkit-local-");
  const dir = join(base, "srv");
  const weird = "arg with 'quotes' $(touch pwned) `x` \\ and\nnewline";
  const config = infraFile(
    base,
    `export default project("localt", (p) => {
  p.roots({ config: ${JSON.stringify(join(base, "etc"))} });
  p.account(${JSON.stringify(USER)}, { system: true, home: ${JSON.stringify(dir)} });
  p.directory(${JSON.stringify(dir)}, { owner: ${JSON.stringify(USER)}, mode: 0o750 });
  p.file(${JSON.stringify(join(dir, "app.conf"))}, { content: "x=1\\n", owner: ${JSON.stringify(USER)}, mode: 0o640 });
  p.service("job", (s) => {
    s.env("runtime", { set: { GREETING: "hello from the env file" } });
    // Writes who ran it, where, what the env file said, and its argv (one per line), into the directory.
    s.command("record", {
      exec: ["sh", "-c", 'printf "%s\\\\n" "$(id -un)" "$PWD" "$GREETING" "$@" > out.txt', "sh", ${JSON.stringify(weird)}, "-rf"],
      user: ${JSON.stringify(USER)}, workingDirectory: ${JSON.stringify(dir)}, env: ["runtime"], when: "always", down: "noop",
    });
  });
});`,
  );

  const r = await hostkit(["apply", config, "--local", "--confirm"]);
  expect({ code: r.code, err: r.stderr.split("\n").filter((l) => /error|fail/i.test(l)) }).toEqual({ code: 0, err: [] });
  const passwd = Bun.spawnSync(["getent", "passwd", USER]).stdout.toString().trim().split(":");
  expect(passwd[5]).toBe(dir);
  expect(Number(passwd[2])).toBeLessThan(1000);
  expect(Bun.spawnSync(["getent", "group", USER]).exitCode).toBe(0);
  const st = statSync(dir);
  expect({ uid: st.uid, gid: st.gid, mode: (st.mode & 0o777).toString(8) }).toEqual({ uid: id("-u"), gid: id("-g"), mode: "750" });
  const f = statSync(join(dir, "app.conf"));
  expect({ uid: f.uid, mode: (f.mode & 0o777).toString(8) }).toEqual({ uid: id("-u"), mode: "640" });
  // The command ran as the account, in its directory, with the env file loaded and its argv intact.
  expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe([USER, dir, "hello from the env file", weird, "-rf", ""].join("\n"));
  expect(statSync(join(dir, "out.txt")).uid).toBe(id("-u"));

  const again = await hostkit(["plan", config, "--local", "--json"]);
  const plan = (JSON.parse(again.stdout) as { plans: Plan[] }).plans[0]!;
  // Only the command declared to run on every apply remains.
  expect(plan.changes.map((c) => `${c.action} ${c.key}: ${c.reason}`)).toEqual(["run command:record: runs on every apply"]);
  expect(plan.summary.noop).toBe(4);
}, 30_000);
