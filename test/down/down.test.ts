/** down(): an up plan in, the down plan out. Pure: no host, no files. */
import { describe, expect, test } from "bun:test";
import { down } from "../../src/plan/down.ts";
import { observedState, stateBasis } from "../../src/plan/down-state.ts";
import { formatPlan } from "../../src/plan/format.ts";
import { opsFor } from "../../src/apply/ops.ts";
import { HostKitError } from "../../src/model/errors.ts";
import type { Change, Plan } from "../../src/model/plan.ts";
import { cmdRes, dirFact, dirRes, envFact, envRes, fileFact, fileRes, ROOT, sha, unitFact, unitRes, unitText, upPlan } from "./fixtures.ts";

const keys = (p: Plan) => p.changes.map((c) => `${c.action} ${c.key}`);
const byKey = (p: Plan, k: string) => p.changes.find((c) => c.key === k) as Change;

// v1 on the host, v2 declared.
const conf = fileRes("/etc/demo/app.conf", "version=2\n", { mode: 0o640, owner: "app", group: "app" });
const added = fileRes("/srv/demo/new/added.txt", "added\n");
const env = envRes("/etc/demo/app.env", { MODE: "two", PORT: "4000" }, { TOKEN: "DEMO_TOKEN" });
const unitV1 = unitRes("web.service", "/bin/sleep 1001");
const unitV2 = unitRes("web.service", "/bin/sleep 1002", { restartOn: ["env_file:/etc/demo/app.env"] });
const newDir = dirRes("/srv/demo/new");

function v1ToV2(): Plan {
  return upPlan([
    [newDir, dirFact()],
    [conf, fileFact("version=1\n")],
    [added, fileFact(undefined)],
    [env, envFact({ set: { MODE: "one", PORT: "4000" }, keys: ["MODE", "PORT", "TOKEN"] })],
    [unitV2, unitFact(unitText(unitV1))],
  ]);
}

describe("down()", () => {
  test("reverses the applied changes in order: deletes what was created, restores what was updated", () => {
    const up = v1ToV2();
    expect(keys(up)).toEqual([
      "create directory:/srv/demo/new",
      "update file:/etc/demo/app.conf",
      "create file:/srv/demo/new/added.txt",
      "update env_file:/etc/demo/app.env",
      "update systemd_service:web.service",
      "run systemd:daemon-reload",
      "run service_state:web.service",
    ]);
    const d = down(up);
    expect(d.direction).toBe("down");
    expect(keys(d)).toEqual([
      "update systemd_service:web.service",
      "update env_file:/etc/demo/app.env",
      "delete file:/srv/demo/new/added.txt",
      "update file:/etc/demo/app.conf",
      "run systemd:daemon-reload",
      "run service_state:web.service",
    ]);
    // The previous state, as the probe saw it, is what the down change converges to.
    const f = byKey(d, "file:/etc/demo/app.conf");
    expect(f.resource).toMatchObject({ content: "version=1\n", owner: "root", group: "root", mode: 0o644 });
    expect(f.after).toMatchObject({ sha256: sha("version=1\n"), owner: "root", mode: 0o644 });
    expect(f.reason).toBe("restore previous content, mode 0640 → 0644, owner app → root, group app → root");
    const u = byKey(d, "systemd_service:web.service");
    expect(u.after).toMatchObject({ content: unitText(unitV1), enabled: "enabled" });
    expect(byKey(d, "service_state:web.service").after).toEqual({ op: "restart", unit: "web.service" });
    expect(d.summary).toEqual({ create: 0, update: 3, delete: 1, run: 2, noop: 0 });
    expect(d.from).toEqual({ basis: up.basis });
    // The created directory is kept (rollback "keep" by default), and said so.
    expect(d.warnings.some((w) => w.includes('directory:/srv/demo/new (rollback: "keep")'))).toBe(true);
  });

  test("the ops of a down change write the previous content with the previous owner and mode", () => {
    const d = down(v1ToV2());
    const [op] = opsFor(byKey(d, "file:/etc/demo/app.conf"), {});
    expect(op!.argv.slice(4, 8)).toEqual(["/etc/demo/app.conf", "644", "root", "root"]);
    expect(op!.stdin).toEqual({ text: "version=1\n" });
    // Removed through the fixed program that walks the path without following links.
    expect(opsFor(byKey(d, "file:/srv/demo/new/added.txt"), {})[0]!.argv.slice(3)).toEqual(["hostkit-remove", "/srv/demo/new/added.txt", "file", "", "root", "0"]);
  });

  test("a down change's basis is the state the up plan left: what a re-probe after the up apply reads", () => {
    const d = down(v1ToV2());
    const f = byKey(d, "file:/etc/demo/app.conf");
    const afterUp = fileFact("version=2\n", { owner: "app", group: "app", mode: 0o640 });
    expect(f.basis).toBe(stateBasis(f.key, observedState("file", afterUp)!));
    // Someone edits the file after the up apply: the down plan is stale for it.
    expect(f.basis).not.toBe(stateBasis(f.key, observedState("file", fileFact("hand edit\n", { owner: "app", group: "app", mode: 0o640 }))!));
    const e = byKey(d, "env_file:/etc/demo/app.env");
    expect(e.basis).toBe(stateBasis(e.key, observedState("env_file", envFact({ set: { MODE: "two", PORT: "4000" }, keys: ["MODE", "PORT", "TOKEN"] }))!));
    const u = byKey(d, "systemd_service:web.service");
    // Whether the unit is active right now does not make the plan stale.
    expect(u.basis).toBe(stateBasis(u.key, observedState("systemd_service", unitFact(unitText(unitV2), "enabled", "failed"))!));
    expect(byKey(d, "file:/srv/demo/new/added.txt").basis).toBe(stateBasis("file:/srv/demo/new/added.txt", observedState("file", fileFact("added\n"))!));
  });

  test("directories with rollback delete_if_created are removed (after what was created inside them)", () => {
    const up = upPlan([
      [dirRes("/srv/demo/new", { rollback: "delete_if_created" }), dirFact()],
      [added, fileFact(undefined)],
    ]);
    expect(keys(down(up))).toEqual(["delete file:/srv/demo/new/added.txt", "delete directory:/srv/demo/new"]);
  });

  test("an updated directory gets its previous owner and mode back", () => {
    const up = upPlan([[dirRes("/var/lib/demo", { mode: 0o750, owner: "app", group: "app" }), dirFact({ mode: 0o755 })]]);
    const d = down(up);
    expect(keys(d)).toEqual(["update directory:/var/lib/demo"]);
    expect(d.changes[0]!.resource).toMatchObject({ owner: "root", group: "root", mode: 0o755 });
  });

  test("files with rollback keep stay; accounts are kept by default", () => {
    const up = upPlan([
      [{ type: "account", id: "app", name: "app", system: true, groups: [], rollback: "keep", source: { file: "x.ts", line: 1 } }, { groups: [], groupExists: false }],
      [fileRes("/etc/keep.conf", "k\n", { rollback: "keep" }), fileFact(undefined)],
    ]);
    const d = down(up);
    expect(d.changes).toEqual([]);
    expect(d.warnings.join("\n")).toContain('kept by their rollback policy: file:/etc/keep.conf (rollback: "keep"), account:app (rollback: "keep")');
  });

  test("multi-repo ecto-style commands come back in reverse order; noop is absent; irreversible is absent with a warning", () => {
    const svc = { service: "shop" };
    const up = upPlan([
      [fileRes("/etc/shop/release", "v2\n", svc), fileFact("v1\n")],
      [cmdRes("migrate_repo", ["bin/shop", "eval", "Shop.Release.migrate(Shop.Repo)"], ["bin/shop", "eval", "Shop.Release.rollback(Shop.Repo)"], svc), null],
      [cmdRes("migrate_events", ["bin/shop", "eval", "Shop.Release.migrate(Shop.EventsRepo)"], ["bin/shop", "eval", "Shop.Release.rollback(Shop.EventsRepo)"], svc), null],
      [cmdRes("warm_cache", ["bin/shop", "eval", "Shop.Cache.warm()"], "noop", { ...svc, phase: "after_start" }), null],
      [cmdRes("reindex", ["bin/shop", "eval", "Shop.Search.reindex()"], "irreversible", { ...svc, phase: "after_start", when: "always" }), null],
    ]);
    expect(keys(up)).toEqual(["update file:/etc/shop/release", "run command:migrate_repo", "run command:migrate_events", "run command:warm_cache", "run command:reindex"]);
    const d = down(up);
    expect(keys(d)).toEqual(["run command:migrate_events", "run command:migrate_repo", "update file:/etc/shop/release"]);
    const events = byKey(d, "command:migrate_events");
    expect(events.after).toEqual({ exec: ["bin/shop", "eval", "Shop.Release.rollback(Shop.EventsRepo)"], phase: "before_start" });
    // An ordinary command change: its ops run the down argv (and its own down is the up command).
    expect(opsFor(events, {})[0]!.argv.slice(-3)).toEqual(["bin/shop", "eval", "Shop.Release.rollback(Shop.EventsRepo)"]);
    expect(events.down).toEqual({ exec: ["bin/shop", "eval", "Shop.Release.migrate(Shop.EventsRepo)"] });
    expect(d.warnings).toContain("command:reindex is irreversible: the down plan does not undo `bin/shop eval Shop.Search.reindex()`");
    expect(formatPlan(d)).toContain("warning: command:reindex is irreversible");
    expect(JSON.stringify(d)).not.toContain("warm");
  });

  test("only: reverses the named changes alone; an unknown key is a clear error", () => {
    const up = v1ToV2();
    const d = down(up, { only: ["file:/etc/demo/app.conf"] });
    expect(keys(d)).toEqual(["update file:/etc/demo/app.conf"]);
    const e = down(up, { only: ["env_file:/etc/demo/app.env"] });
    // The unit reads the env file: restoring it restarts the unit.
    expect(keys(e)).toEqual(["update env_file:/etc/demo/app.env", "run service_state:web.service"]);
    expect(byKey(e, "service_state:web.service").reason).toBe("env_file:/etc/demo/app.env restored");
    let err: unknown;
    try {
      down(up, { only: ["file:/etc/nope"] });
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(HostKitError);
    expect((err as Error).message).toContain("--only: no change file:/etc/nope in the plan");
    expect((err as Error).message).toContain("file:/etc/demo/app.conf");
  });

  test("an env file input restored restarts the unit even when the unit itself was unchanged", () => {
    const unit = unitRes("web.service", "/bin/sleep 1", { restartOn: ["env_file:/etc/demo/app.env"], service: "web" });
    const up = upPlan([
      [{ ...env, service: "web" }, envFact({ set: { MODE: "one", PORT: "4000" }, keys: ["MODE", "PORT", "TOKEN"] })],
      [unit, unitFact(unitText(unit))],
    ]);
    expect(keys(up)).toEqual(["update env_file:/etc/demo/app.env", "run service_state:web.service"]);
    expect(keys(down(up))).toEqual(["update env_file:/etc/demo/app.env", "run service_state:web.service"]);
  });

  test("results: only changes the run applied are reversed; a failed one is a warning", () => {
    const up = v1ToV2();
    const results = up.changes.map((c, i) => ({ key: c.key, status: i < 2 ? "applied" : i === 2 ? "failed" : "pending" }));
    const d = down(up, { results, run: "20260614-101148-demo-up" });
    expect(keys(d)).toEqual(["update file:/etc/demo/app.conf"]);
    expect(d.from?.run).toBe("20260614-101148-demo-up");
    expect(d.warnings[0]).toContain("file:/srv/demo/new/added.txt failed during run 20260614-101148-demo-up and is not reversed");
  });

  test("env files: previous set values come back; previous secret values only from a backup (else a warning)", () => {
    const up = v1ToV2();
    const d = down(up);
    const e = byKey(d, "env_file:/etc/demo/app.env");
    expect(e.after).toEqual({ owner: "root", group: "root", mode: 0o600, set: { MODE: "one", PORT: "4000" }, secret: { TOKEN: { $secret: { env: "DEMO_TOKEN" } } } });
    expect(d.warnings.some((w) => w.startsWith("env_file:/etc/demo/app.env: previous values of TOKEN are not in plans"))).toBe(true);
    const b = down(up, { backups: { "env_file:/etc/demo/app.env": { run: "r1", id: "04-env", sha256: "ab" } } });
    const eb = byKey(b, "env_file:/etc/demo/app.env");
    expect(eb.after).toEqual({ owner: "root", group: "root", mode: 0o600, set: { MODE: "one", PORT: "4000" }, content: { $backup: { run: "r1", id: "04-env", sha256: "ab" } } });
    expect(b.warnings.some((w) => w.includes("TOKEN"))).toBe(false);
    expect(opsFor(eb, {})[0]!.stdin).toEqual({ backup: { run: "r1", id: "04-env", sha256: "ab" } });
  });

  test("backups: previous file-like content becomes a $backup reference instead of embedded content", () => {
    const up = v1ToV2();
    const backups = {
      "file:/etc/demo/app.conf": { run: "r1", id: "01-file", sha256: sha("version=1\n") },
      "systemd_service:web.service": { run: "r1", id: "05-unit", sha256: sha(unitText(unitV1)) },
    };
    const d = down(up, { backups, run: "r1" });
    const f = byKey(d, "file:/etc/demo/app.conf");
    expect(f.after!.content).toEqual({ $backup: backups["file:/etc/demo/app.conf"] });
    expect(f.resource).not.toHaveProperty("content");
    expect(opsFor(f, {})[0]!.stdin).toEqual({ backup: { run: "r1", id: "01-file", sha256: sha("version=1\n") } });
    const u = byKey(d, "systemd_service:web.service");
    expect(u.after!.content).toEqual({ $backup: backups["systemd_service:web.service"] });
    expect(JSON.stringify(u)).not.toContain("1001");
    expect(keys(d)).toContain("run service_state:web.service");
  });

  test("offline roots get no reload or restarts", () => {
    const up = upPlan([[unitV2, unitFact(unitText(unitV1))]], ROOT);
    expect(keys(down(up))).toEqual(["update systemd_service:web.service"]);
  });

  test("a created unit is deleted (its ops stop and disable it), then systemd reloads", () => {
    const up = upPlan([[unitV2, unitFact(undefined)]]);
    const d = down(up);
    expect(keys(d)).toEqual(["delete systemd_service:web.service", "run systemd:daemon-reload"]);
    expect(opsFor(d.changes[0]!, {}).map((o) => (o.argv[0] === "sh" ? o.argv.slice(3) : o.argv).join(" "))).toEqual(["systemctl disable --now -- web.service", "hostkit-reset-failed web.service", "hostkit-remove /etc/systemd/system/web.service file  root 0"]);
  });

  test("large previous content without a backup cannot be restored: a warning, not a guess", () => {
    const up = upPlan([[fileRes("/srv/big.bin", "new\n"), { ...fileFact("x"), content: undefined, size: 5 << 20 }]]);
    const d = down(up);
    expect(d.changes).toEqual([]);
    expect(d.warnings[0]).toContain("file:/srv/big.bin: its previous content (5242880 bytes) is too large");
  });

  test("a change of a type no kind knows (a saved plan from a newer build) is not reversed: a note in the down plan", () => {
    const up = v1ToV2();
    up.changes.unshift({ key: "source:/opt/app", type: "source", id: "/opt/app", action: "update", reason: "ref moved", before: { ref: "a" }, after: { ref: "b" }, resource: conf });
    expect(formatPlan(down(up))).toContain("warning: source:/opt/app: no down for source changes; not reversed");
  });

  test("a down plan is not reversed again", () => {
    expect(() => down(down(v1ToV2()))).toThrow("already a down plan");
  });
});
