/** The planner, pure: facts + resources → an ordered plan (no host involved). */
import { describe, expect, test } from "bun:test";
import { assemble, deriveSteps, diffObserved, selectResources } from "../../src/plan/planner.ts";
import type { Observed } from "../../src/plan/probe.ts";
import type { Resource } from "../../src/model/resource.ts";
import { renderUnit } from "../../src/render/systemd.ts";
import { sha256 } from "../../src/kinds/file.ts";
import { HostKitError } from "../../src/model/errors.ts";
import type { TargetCtx } from "../../src/model/kind.ts";

const src = { file: "infra/config.ts", line: 7 };
const sections = { Service: [["ExecStart", "/usr/bin/web"]] as [string, string][] };
const unitText = renderUnit(sections);
const R = {
  unit: (name: string, service: string, restartOn: string[] = []): Resource => ({ id: name, source: src, service, type: "systemd_service", name, sections, enable: true, start: true, listeners: [], restartOn, rollback: "delete" }),
  file: (path: string, service?: string): Resource => ({ id: path, source: src, ...(service ? { service } : {}), type: "file", path, content: "new\n", owner: "root", group: "root", mode: 0o644, rollback: "delete" }),
  env: (path: string, service: string): Resource => ({ id: path, source: src, service, type: "env_file", path, set: { A: "2" }, secret: {}, owner: "root", group: "root", mode: 0o600, rollback: "delete" }),
  dir: (path: string): Resource => ({ id: path, source: src, type: "directory", path, owner: "root", group: "root", mode: 0o755, rollback: "keep" }),
  account: (name: string): Resource => ({ id: name, source: src, type: "account", name, system: true, groups: [], rollback: "keep" }),
  command: (name: string, service: string | undefined, phase: "before_start" | "after_start", when: "changed" | "always" = "changed"): Resource => ({ id: name, source: src, ...(service ? { service } : {}), type: "command", name, exec: ["bin/" + name], phase, when, down: "noop", env: [] }),
};
const missing = { exists: false };
const fileFact = (content: string) => ({ exists: true, fileType: "regular file", mode: 0o644, owner: "root", group: "root", size: content.length, sha256: sha256(content), content });
const unitFact = (active: string, content = unitText) => ({ exists: true, content, sha256: sha256(content), enabled: "enabled", active });

function plan(observed: [Resource, unknown][], ctx: TargetCtx = {}) {
  const obs: Observed[] = observed.map(([resource, fact], i) => ({ resource, fact, basis: `sha256:${i}` }));
  const changes = diffObserved(obs);
  const derived = deriveSteps(changes, obs, ctx);
  return { derived, plan: assemble({ project: "p", target: { name: "t", transport: "local" }, now: new Date("2026-01-02T03:04:05Z") }, changes, derived, []) };
}

describe("ordering", () => {
  test("resources in dependency order (else as given), then reload, before-start commands, starts/restarts, after-start commands", () => {
    // Given in scrambled order on purpose: requires edges (as compile adds them) decide, never the type.
    const needs = (r: Resource, ...requires: string[]): Resource => ({ ...r, requires });
    const { plan: p } = plan([
      [R.command("warm", "web", "after_start"), null],
      [needs(R.unit("web.service", "web", ["env_file:/srv/web/web.env"]), "account:web"), unitFact("active", "old unit\n")],
      [R.command("migrate", "web", "before_start"), null],
      [needs(R.env("/srv/web/web.env", "web"), "directory:/srv/web", "account:web"), { exists: false, set: {}, keys: [] }],
      [R.unit("new.service", "other"), { exists: false, enabled: "not-found", active: "inactive" }],
      [R.file("/etc/web.conf", "web"), fileFact("old\n")],
      [needs(R.dir("/srv/web"), "account:web"), missing],
      [R.account("web"), { groups: [], groupExists: false }],
    ]);
    expect(p.changes.map((c) => `${c.action} ${c.key}`)).toEqual([
      "create systemd_service:new.service",
      "update file:/etc/web.conf",
      "create account:web",
      "update systemd_service:web.service",
      "create directory:/srv/web",
      "create env_file:/srv/web/web.env",
      "run systemd:daemon-reload",
      "run command:migrate",
      "run service_state:web.service",
      "run service_state:new.service",
      "run command:warm",
    ]);
    const web = p.changes.find((c) => c.key === "service_state:web.service")!;
    expect(web).toMatchObject({ reason: "unit file changed", after: { op: "restart" } });
    expect(p.changes.find((c) => c.key === "service_state:new.service")).toMatchObject({ reason: "new unit", after: { op: "start" } });
    expect(p.changes.find((c) => c.key === "command:migrate")).toMatchObject({ reason: "systemd_service:web.service, env_file:/srv/web/web.env, file:/etc/web.conf changed", after: { phase: "before_start" }, source: "infra/config.ts:7" });
    expect(p.summary).toEqual({ create: 4, update: 2, delete: 0, run: 5, noop: 0 });
  });

  test("an input change restarts its unit without a daemon-reload; unchanged services run nothing", () => {
    const { plan: p } = plan([
      [R.file("/etc/web.conf", "web"), fileFact("old\n")],
      [R.unit("web.service", "web", ["file:/etc/web.conf"]), unitFact("active")],
      [R.unit("idle.service", "idle"), unitFact("active")],
      [R.command("migrate_idle", "idle", "before_start"), null],
      [R.command("always", undefined, "after_start", "always"), null],
    ]);
    expect(p.changes.map((c) => `${c.key}: ${c.reason}`)).toEqual(["file:/etc/web.conf: content differs", "service_state:web.service: file:/etc/web.conf changed", "command:always: runs on every apply"]);
    expect(p.summary.noop).toBe(2);
  });

  test("a stopped unit that is otherwise unchanged is started", () => {
    const { plan: p } = plan([[R.unit("web.service", "web"), unitFact("failed")]]);
    expect(p.changes.map((c) => `${c.key}: ${c.reason}`)).toEqual(["service_state:web.service: not active (failed)"]);
  });

  test("nothing to do → no changes at all (noops counted, not listed)", () => {
    const { plan: p } = plan([[R.file("/etc/a", undefined), fileFact("new\n")], [R.unit("web.service", "web"), unitFact("active")]]);
    expect(p.changes).toEqual([]);
    expect(p.summary).toEqual({ create: 0, update: 0, delete: 0, run: 0, noop: 2 });
  });

  test("offline root: no reload, no starts, and commands become a warning-list instead of steps", () => {
    const { plan: p, derived } = plan([[R.unit("web.service", "web"), { exists: false, enabled: "not-found", active: "unknown" }], [R.command("migrate", "web", "before_start"), null]], { root: "/img" });
    expect(p.changes.map((c) => c.key)).toEqual(["systemd_service:web.service"]);
    expect(derived.notRun).toEqual(["command:migrate"]);
  });
});

describe("--ignore", () => {
  const rs = [R.file("/etc/a"), R.dir("/srv")];
  test("drops exactly that resource", () => {
    expect(selectResources(rs, ["file:/etc/a"]).map((r) => r.id)).toEqual(["/srv"]);
  });
  test("an unknown key is a clear error", () => {
    expect(() => selectResources(rs, ["file:/etc/nope"])).toThrow(HostKitError);
    expect(() => selectResources(rs, ["file:/etc/nope"])).toThrow(/no resource file:\/etc\/nope in this project/);
  });
});
