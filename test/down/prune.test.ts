/**
 * Declarative means declarative, on offline roots with the real CLI: a service removed from the infra
 * file is pruned (unit, timer, env file deleted; account and directory kept with a warning naming
 * them), `down --last` brings it back from the run's backups, `--no-prune` keeps it, and what HostKit
 * never managed is never deleted. Secrets: a rotated value is detected when the controller holds it,
 * said to be uncompared when it does not, and never printed or stored (canaries of 2 chars and
 * multi-line ones).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, filesUnder, hk, ok, snapshot, tempDir, transcript } from "./helpers.ts";

afterAll(cleanup);

const V1 = `import { project, secretEnv } from "hostkit";
export default project("pr", (p) => {
  p.roots({ config: "/etc/pr", data: "/srv/pr" });
  p.file("/etc/keep.conf", { content: "k\\n" });
  p.service("web", (s) => {
    s.account({ system: true });
    s.storage("data", { mode: 0o750 });
    s.env("runtime", { set: { A: "1" }, secret: { TOKEN: secretEnv("PR_TOKEN"), CERT: secretEnv("PR_CERT") } });
    s.daemon({ exec: ["/bin/sleep", "1000"], env: ["runtime"] });
    s.timer("tick", { onCalendar: "hourly", exec: ["/bin/true"] });
  });
});
`;
const V2 = `import { project } from "hostkit";
export default project("pr", (p) => {
  p.roots({ config: "/etc/pr", data: "/srv/pr" });
  p.file("/etc/keep.conf", { content: "k\\n" });
});
`;
// Short and multi-line secret values: a plan, an output or a run record holding one would show it.
const CANARY = { token: "Zq", cert: "-----BEGIN Xk7-----\nQ3w9\n-----END Xk7-----", rotated: "Wv", rotatedCert: "-----BEGIN Jm2-----\nR8p1\n-----END Jm2-----" };
const SECRETS = { PR_TOKEN: CANARY.token, PR_CERT: CANARY.cert };

function setup(name: string) {
  const dir = tempDir(name);
  writeFileSync(join(dir, "v1.ts"), V1);
  writeFileSync(join(dir, "v2.ts"), V2);
  return { dir, root: join(dir, "root"), at: { cwd: dir, env: SECRETS } };
}
const unitPaths = ["etc/systemd/system/web.service", "etc/systemd/system/web-tick.service", "etc/systemd/system/web-tick.timer", "etc/systemd/system/timers.target.wants/web-tick.timer", "etc/systemd/system/multi-user.target.wants/web.service"];
const present = (root: string, p: string) => {
  try {
    lstatSync(join(root, p));
    return true;
  } catch {
    return false;
  }
};

describe("prune on an offline root", () => {
  test("remove a service: its units, timer and env file are deleted, account and directory kept with a warning; down --last brings them back", async () => {
    const { dir, root, at } = setup("prune");
    await ok(["apply", "v1.ts", "--root", root, "--confirm", "--track"], at);
    const v1 = snapshot(root, (r) => r.startsWith("/var/lib/hostkit"));
    for (const p of unitPaths) expect(present(root, p)).toBe(true);
    const record = join(root, "var/lib/hostkit/state/pr.json");
    expect(statSync(record).mode & 0o777).toBe(0o600);

    const plan = await ok(["plan", "v2.ts", "--root", root], at);
    expect(plan.stdout).toContain("- systemd_timer:web-tick.timer  no longer declared (managed by HostKit)");
    expect(plan.stdout).toContain("- systemd_service:web.service  no longer declared");
    expect(plan.stdout).toContain("- systemd_service:web-tick.service  no longer declared");
    expect(plan.stdout).toContain("- env_file:/etc/pr/web/runtime.env  no longer declared");
    expect(plan.stdout).toContain('warning: no longer declared, kept on the host and no longer managed by HostKit: account:web (rollback: "keep"), directory:/srv/pr/web (rollback: "keep")');
    expect(plan.stdout).toContain("Plan: 0 to create, 0 to update, 4 to delete");
    // The timer goes before the service it starts, the unit before the env file it loads.
    const order = ["systemd_timer:web-tick.timer", "systemd_service:web-tick.service", "env_file:/etc/pr/web/runtime.env"].map((k) => plan.stdout.indexOf(`- ${k}`));
    expect(order).toEqual([...order].sort((a, b) => a - b));

    const noPrune = await ok(["plan", "v2.ts", "--root", root, "--no-prune"], at);
    expect(noPrune.stdout).toContain("No changes.");
    expect(noPrune.stdout).toContain("--no-prune: 6 managed resource(s) no longer declared are not deleted (a later plan will): account:web");

    await ok(["apply", "v2.ts", "--root", root, "--confirm", "--track"], at);
    // The run's backups hold the env file's secret values: payloads 0600, in 0700 directories.
    const backups = filesUnder(join(dir, ".hostkit")).filter((f) => f.path.includes("backups"));
    expect(backups.length).toBeGreaterThan(0);
    for (const f of backups) {
      expect({ f: f.path, mode: statSync(f.path).mode & 0o777 }).toEqual({ f: f.path, mode: 0o600 });
      for (let d = join(f.path, ".."); d.startsWith(join(dir, ".hostkit/")); d = join(d, "..")) expect({ d, mode: statSync(d).mode & 0o777 }).toEqual({ d, mode: 0o700 });
    }
    for (const p of unitPaths) expect(present(root, p)).toBe(false);
    expect(existsSync(join(root, "etc/pr/web/runtime.env"))).toBe(false);
    expect(existsSync(join(root, "srv/pr/web"))).toBe(true);
    expect(readFileSync(join(root, "etc/passwd"), "utf8")).toContain("web:");
    expect((await ok(["plan", "v2.ts", "--root", root, "--detailed-exitcode"], at)).stdout).toContain("No changes.");

    // Rolled back with other values in the environment: the env file comes back from the run's backup.
    const other = { cwd: dir, env: { PR_TOKEN: CANARY.rotated, PR_CERT: CANARY.rotatedCert } };
    const d = await ok(["down", "--last", "--root", root, "v2.ts"], other);
    expect(d.stdout).toContain("+ systemd_service:web.service  recreate the deleted unit from the backup of run");
    await ok(["down", "--last", "--root", root, "--out", "down.json", "v2.ts"], other);
    await ok(["apply", "v2.ts", "--plan", "down.json", "--root", root, "--confirm"], other);
    expect(snapshot(root, (r) => r.startsWith("/var/lib/hostkit"))).toEqual(v1);
    expect(readFileSync(join(root, "etc/pr/web/runtime.env"), "utf8")).toContain(`TOKEN=${CANARY.token}`);
    // The record is the one v1 left: v1 plans nothing, v2 prunes again.
    expect((await hk(["plan", "v1.ts", "--root", root, "--detailed-exitcode"], at)).code).toBe(0);
    expect((await ok(["plan", "v2.ts", "--root", root], at)).stdout).toContain("4 to delete");

    const texts = [...transcript, readFileSync(join(dir, "down.json"), "utf8"), readFileSync(record, "utf8"), ...filesUnder(join(dir, ".hostkit/runs")).map((f) => readFileSync(f.path, "utf8"))];
    for (const t of texts) for (const v of [CANARY.token, CANARY.cert, CANARY.rotated, CANARY.rotatedCert, "Q3w9", "R8p1"]) expect(t).not.toContain(v);
  });

  test("never deletes what HostKit never managed: an undeclared file, and everything when the record is gone", async () => {
    const { root, at } = setup("unmanaged");
    await ok(["apply", "v1.ts", "--root", root, "--confirm"], at);
    mkdirSync(join(root, "etc/other"), { recursive: true });
    writeFileSync(join(root, "etc/other/hand.conf"), "mine\n");
    rmSync(join(root, "var/lib/hostkit/state/pr.json"));
    const plan = await ok(["plan", "v2.ts", "--root", root], at);
    expect(plan.stdout).toContain("No changes.");
    await ok(["apply", "v2.ts", "--root", root, "--confirm"], at);
    for (const p of unitPaths) expect(present(root, p)).toBe(true);
    expect(readFileSync(join(root, "etc/other/hand.conf"), "utf8")).toBe("mine\n");
  });

  test("an unreadable record is one error naming it; nothing is applied", async () => {
    const { root, at } = setup("corrupt");
    await ok(["apply", "v1.ts", "--root", root, "--confirm"], at);
    writeFileSync(join(root, "var/lib/hostkit/state/pr.json"), "{not json");
    const r = await hk(["apply", "v2.ts", "--root", root, "--confirm"], at);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/var/lib/hostkit/state/pr.json: the managed-resources record cannot be read: not valid JSON");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    for (const p of unitPaths) expect(present(root, p)).toBe(true);
  });
});

describe("rotated secrets on an offline root", () => {
  test("a changed value is shown by key only; an unset one is said to be uncompared; --rotate-secrets rewrites", async () => {
    const { dir, root, at } = setup("rotate");
    await ok(["apply", "v1.ts", "--root", root, "--confirm"], at);
    expect((await ok(["plan", "v1.ts", "--root", root], at)).stdout).toContain("No changes.");
    const rotated = { cwd: dir, env: { PR_TOKEN: CANARY.token, PR_CERT: CANARY.rotatedCert } };
    const plan = await ok(["plan", "v1.ts", "--root", root], rotated);
    expect(plan.stdout).toContain("~ env_file:/etc/pr/web/runtime.env  secret CERT changed");
    expect(plan.stdout).toContain("~ CERT: (secret value changed) (from $PR_CERT)");
    const json = await ok(["plan", "v1.ts", "--root", root, "--json"], rotated);
    expect(JSON.parse(json.stdout).plans[0].changes.find((c: { key: string }) => c.key === "env_file:/etc/pr/web/runtime.env").reason).toBe("secret CERT changed");

    const unset = await ok(["plan", "v1.ts", "--root", root, "--json"], { cwd: dir, env: { PR_TOKEN: CANARY.token, PR_CERT: "" } });
    expect(unset.stdout).toContain("secret CERT changed"); // an empty value is a value
    const missing = Bun.spawnSync(["bun", new URL("../../src/main.ts", import.meta.url).pathname, "plan", "v1.ts", "--root", root, "--json"], { cwd: dir, env: { ...process.env, PR_TOKEN: undefined, PR_CERT: undefined, NO_COLOR: "1" } });
    const noVal = JSON.parse(missing.stdout.toString()).plans[0];
    expect(noVal.summary.update).toBe(0);
    expect(noVal.warnings).toContain("env_file:/etc/pr/web/runtime.env: the values of secret CERT, TOKEN were not compared (not set on the controller): a rotated value is not detected");
    transcript.push(missing.stdout.toString(), missing.stderr.toString());

    await ok(["apply", "v1.ts", "--root", root, "--confirm"], rotated);
    expect(readFileSync(join(root, "etc/pr/web/runtime.env"), "utf8")).toContain("Jm2");
    expect((await ok(["plan", "v1.ts", "--root", root], rotated)).stdout).toContain("No changes.");
    const forced = await ok(["apply", "v1.ts", "--root", root, "--confirm", "--rotate-secrets"], rotated);
    expect(forced.stdout).toContain("secret values rewritten (--rotate-secrets): CERT, TOKEN");
    for (const t of transcript) for (const v of [CANARY.cert, CANARY.rotatedCert, "Q3w9", "R8p1", "=Zq", '"Zq"']) expect(t).not.toContain(v);
  });
});
