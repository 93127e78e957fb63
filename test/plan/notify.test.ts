/**
 * Handlers for config, from real declarations (load → compile): a file declared in a service restarts
 * its daemon when it changes (once, however many inputs changed); `notify: "reload"` reloads instead,
 * `notify: false` does nothing; `restartOn` names other resources; an unknown key is a load error.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { load } from "../../src/load.ts";
import type { Plan } from "../../src/model/plan.ts";
import type { Resource } from "../../src/model/resource.ts";
import { renderUnit } from "../../src/render/systemd.ts";
import { envFact, fileFact, unitFact, upPlan } from "../down/fixtures.ts";
import { hostkit, infraFile, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

const dir = tempDir("hostkit-notify-");
const config = infraFile(
  dir,
  `export default project("notify", (p) => {
  p.file("/etc/shared/ca.pem", { content: "ca-2\\n" });
  p.file("/etc/other.conf", { content: "o-2\\n" });
  p.service("web", (s) => {
    s.file("/etc/web/app.toml", { content: "v=2\\n" });
    s.file("/etc/web/tls.conf", { content: "t=2\\n", notify: "reload" });
    s.file("/etc/web/notes.txt", { content: "n=2\\n", notify: false });
    s.envFile("/etc/web/web.env", { set: { A: "2" } });
    s.daemon({ exec: ["/bin/sleep", "1000"], execReload: ["/bin/sh", "-c", 'kill -HUP "$MAINPID"'], env: ["/etc/web/web.env"], restartOn: ["file:/etc/shared/ca.pem"] });
  });
  p.service("idle", (s) => s.daemon({ exec: ["/bin/sleep", "2000"] }));
});`,
);
const project = await load(config);
const byKey = new Map(project.resources.map((r) => [`${r.type}:${r.id}`, r]));

/** The plan when exactly `changed` keys differ on the host (everything else matches, units running). */
function planWith(changed: string[]): Plan {
  return upPlan(
    project.resources.filter((r) => r.type !== "command").map((r): [Resource, unknown] => {
      const key = `${r.type}:${r.id}`;
      const stale = changed.includes(key);
      if (r.type === "file") return [r, fileFact(stale ? "old\n" : (r.content as string))];
      if (r.type === "env_file") return [r, envFact({ set: stale ? {} : r.set, keys: Object.keys(r.set) })];
      if (r.type === "systemd_service") return [r, unitFact(renderUnit(r.sections))];
      return [r, { exists: true }];
    }),
  );
}
const steps = (p: Plan) => p.changes.filter((c) => c.type === "service_state").map((c) => `${(c.after as { op: string }).op} ${c.id}: ${c.reason}`);

describe("a daemon's config inputs", () => {
  test("compile wires them: own files restart, notify reload reloads, notify false nothing, restartOn adds", () => {
    const unit = byKey.get("systemd_service:web.service") as Extract<Resource, { type: "systemd_service" }>;
    expect([...unit.restartOn].sort()).toEqual(["env_file:/etc/web/web.env", "file:/etc/shared/ca.pem", "file:/etc/web/app.toml"]);
    expect(unit.reloadOn).toEqual(["file:/etc/web/tls.conf"]);
  });

  test("a changed config file restarts exactly its service, once; unchanged ones restart nothing", () => {
    expect(steps(planWith([]))).toEqual([]);
    expect(steps(planWith(["file:/etc/web/app.toml"]))).toEqual(["restart web.service: file:/etc/web/app.toml changed"]);
    expect(steps(planWith(["file:/etc/web/app.toml", "env_file:/etc/web/web.env", "file:/etc/shared/ca.pem"]))).toEqual([
      "restart web.service: env_file:/etc/web/web.env, file:/etc/web/app.toml, file:/etc/shared/ca.pem changed",
    ]);
    expect(steps(planWith(["file:/etc/other.conf"]))).toEqual([]);
    expect(steps(planWith(["file:/etc/web/notes.txt"]))).toEqual([]);
  });

  test('notify: "reload" reloads, and a restart covers it', () => {
    expect(steps(planWith(["file:/etc/web/tls.conf"]))).toEqual(["reload web.service: file:/etc/web/tls.conf changed"]);
    expect(steps(planWith(["file:/etc/web/tls.conf", "file:/etc/web/app.toml"]))).toEqual(["restart web.service: file:/etc/web/app.toml changed"]);
  });

  test("restartOn naming an undeclared resource is one load error with file:line", async () => {
    const bad = infraFile(dir, `export default project("notify", (p) => {
  p.service("web", (s) => s.daemon({ exec: ["/bin/sleep", "1"], restartOn: ["file:/etc/nope.conf"] }));
});`, "bad.ts");
    const r = await hostkit(["plan", bad, "--root", `${dir}/root`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("restartOn");
    expect(r.stderr).toContain("file:/etc/nope.conf, which is not declared");
    expect(r.stderr).toContain("bad.ts:3");
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  test('notify: "reload" on a daemon without execReload is one load error at the file (systemd could not reload it)', async () => {
    const bad = infraFile(dir, `export default project("notify", (p) => {
  p.service("web", (s) => {
    s.file("/etc/web/tls.conf", { content: "t\\n", notify: "reload" });
    s.daemon({ exec: ["/bin/sleep", "1"] });
  });
});`, "noreload.ts");
    const r = await hostkit(["plan", bad, "--root", `${dir}/root`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('file:/etc/web/tls.conf (service "web")');
    expect(r.stderr).toContain('notify: "reload", but the daemon of service "web" (web.service) declares no execReload: systemd cannot reload it');
    expect(r.stderr).toContain("noreload.ts:4:"); // the s.file line
    expect(r.stderr).toContain("execReload");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(`${dir}/root`)).toBe(false);
  });
});
