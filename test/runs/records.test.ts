/**
 * Run records are written as the run goes (after every change, atomically), backups are taken and
 * recorded before the change that overwrites them, and a run cut short stays visibly incomplete.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "../../src/load.ts";
import { planHost } from "../../src/plan/planner.ts";
import { runPlan } from "../../src/apply/rollback.ts";
import { displayStatus, runPaths, RunStore, type RunRecord } from "../../src/artifacts/runs.ts";
import { localRunner } from "../../src/targets/local.ts";
import type { Runner } from "../../src/targets/runner.ts";
import { cleanup, infra, tempDir } from "../down/helpers.ts";

afterAll(cleanup);

const V1 = `export default project("rec", (p) => {
  p.file("/etc/rec/a.conf", { content: "a1\\n" });
  p.file("/etc/rec/b.conf", { content: "b1\\n" });
  p.file("/etc/rec/c.conf", { content: "c1\\n" });
});`;

async function planOf(file: string, root: string) {
  const project = await load(file);
  return planHost({ project: project.project, resources: project.resources, runner: localRunner(), ctx: { root }, target: { name: "root", transport: "root", root } });
}

describe("run records", () => {
  test("are rewritten after every change; the backup of a change is recorded before its ops run", async () => {
    const dir = tempDir("rec");
    const root = join(dir, "root");
    const store = new RunStore(runPaths({ infraFile: infra(dir, "v1.ts", V1) }));
    await runPlan(await planOf(join(dir, "v1.ts"), root), { runner: localRunner(), ctx: { root }, track: { store } });
    const f2 = infra(dir, "v2.ts", V1.replaceAll("1\\n", "2\\n"));
    const plan = await planOf(f2, root);
    const seen: RunRecord[] = [];
    const local = localRunner();
    // Look at the record on disk each time a file is about to be written.
    const spy: Runner = {
      ...local,
      exec: async (argv, o) => {
        // The managed-resources record (written last, plan/managed.ts) is not one of the plan's changes.
        if (argv[3] === "hostkit-write" && !String(argv[4]).startsWith("/var/lib/hostkit/state/")) {
          const id = readdirSync(store.paths.root).sort().pop()!;
          seen.push(JSON.parse(readFileSync(join(store.dir(id), "run.json"), "utf8")));
        }
        return local.exec(argv, o);
      },
    };
    const out = await runPlan(plan, { runner: spy, ctx: { root }, track: { store }, batch: false });
    expect(out.status).toBe("ok");
    // Each change is recorded "started" before its write runs: a run killed now never says "pending" for it.
    expect(seen.map((r) => r.changes.map((c) => c.status))).toEqual([
      ["started", "pending", "pending"],
      ["applied", "started", "pending"],
      ["applied", "applied", "started"],
    ]);
    for (const [i, r] of seen.entries()) {
      expect(r.status).toBe("running");
      expect(r.changes[i]!.backup).toMatchObject({ size: 3, owner: "root", group: "root", mode: 0o644 });
      expect(readFileSync(r.changes[i]!.backup!.path, "utf8")).toBe(`${"abc"[i]}1\n`);
    }
    const final = JSON.parse(readFileSync(out.record!, "utf8")) as RunRecord;
    expect(final.status).toBe("ok");
    expect(final.finishedAt).toBeDefined();
    expect(final.changes.map((c) => c.status)).toEqual(["applied", "applied", "applied"]);
    // Atomic writes leave no temp files behind.
    expect(readdirSync(store.dir(final.id)).sort()).toEqual(["plan.json", "run.json"]);
  });

  test("batched: every change of a batch is recorded started, with its backup, before the batch's one write runs", async () => {
    const dir = tempDir("recb");
    const root = join(dir, "root");
    const store = new RunStore(runPaths({ infraFile: infra(dir, "v1.ts", V1) }));
    await runPlan(await planOf(join(dir, "v1.ts"), root), { runner: localRunner(), ctx: { root }, track: { store } });
    const plan = await planOf(infra(dir, "v2.ts", V1.replaceAll("1\\n", "2\\n")), root);
    const seen: RunRecord[] = [];
    const local = localRunner();
    const spy: Runner = {
      ...local,
      exec: async (argv, o) => {
        if (argv[3] === "hostkit-write-files") {
          const id = readdirSync(store.paths.root).sort().pop()!;
          seen.push(JSON.parse(readFileSync(join(store.dir(id), "run.json"), "utf8")));
        }
        return local.exec(argv, o);
      },
    };
    const out = await runPlan(plan, { runner: spy, ctx: { root }, track: { store } });
    expect(out.status).toBe("ok");
    expect(seen.map((r) => r.changes.map((c) => c.status))).toEqual([["started", "started", "started"]]);
    for (const [i, c] of seen[0]!.changes.entries()) expect(readFileSync(c.backup!.path, "utf8")).toBe(`${"abc"[i]}1\n`);
    expect((JSON.parse(readFileSync(out.record!, "utf8")) as RunRecord).changes.map((c) => c.status)).toEqual(["applied", "applied", "applied"]);
  });

  test("a run cut short (its controller died mid-run) is listed, as cut short, with what it applied", () => {
    const dir = tempDir("cut");
    const store = new RunStore(runPaths({ runsRoot: join(dir, "runs") }));
    const id = store.claim("rec", "up", new Date("2026-06-14T10:11:48Z"));
    expect(id).toBe("20260614-101148-rec-up");
    const record = store.start(id, {
      formatVersion: 1,
      kind: "hostkit.plan",
      direction: "up",
      project: "rec",
      target: { name: "root", transport: "root", root: "/tmp/x" },
      createdAt: "2026-06-14T10:11:48Z",
      basis: "sha256:x",
      changes: [
        { key: "file:/a", type: "file", id: "/a", action: "create", reason: "r" },
        { key: "file:/b", type: "file", id: "/b", action: "create", reason: "r" },
      ],
      summary: { create: 2, update: 0, delete: 0, run: 0, noop: 0 },
      warnings: [],
    });
    record.changes[0]!.status = "applied";
    record.controller.pid = 2 ** 22 + 12345; // no such process
    store.write(record);
    const [r] = store.list({ project: "rec" });
    expect(r!.status).toBe("running");
    expect(displayStatus(r!)).toBe("cut short");
    expect(r!.changes.map((c) => c.status)).toEqual(["applied", "pending"]);
  });

  test("run ids are unique within a second; records are listed oldest first", () => {
    const store = new RunStore(runPaths({ runsRoot: join(tempDir("ids"), "runs") }));
    const t = new Date("2026-06-14T10:11:48Z");
    expect([store.claim("demo", "up", t), store.claim("demo", "up", t), store.claim("demo", "down", t)]).toEqual(["20260614-101148-demo-up", "20260614-101148-demo-up-2", "20260614-101148-demo-down"]);
  });

  test("the runs root: --runs-root, else p.runs({ root }) beside the infra file, else .hostkit/runs; backups beside it", () => {
    expect(runPaths({ infraFile: "/p/infra/config.ts" })).toEqual({ root: "/p/infra/.hostkit/runs", backups: "/p/infra/.hostkit/hostkit_backups" });
    expect(runPaths({ infraFile: "/p/infra/config.ts", runs: { root: "state/runs", backups: "/var/backups/hk" } })).toEqual({ root: "/p/infra/state/runs", backups: "/var/backups/hk" });
    expect(runPaths({ infraFile: "/p/infra/config.ts", runsRoot: "/r/runs", backupsRoot: "/b" })).toEqual({ root: "/r/runs", backups: "/b" });
    expect(runPaths({ infraFile: "/p/infra/config.ts", runsRoot: "/r/runs" })).toEqual({ root: "/r/runs", backups: "/r/hostkit_backups" });
  });

  test("prune keeps the newest N of the chosen target only, and removes only backup dirs named after a pruned run", () => {
    const dir = tempDir("prune");
    const store = new RunStore(runPaths({ runsRoot: join(dir, "runs") }));
    const mk = (t: string, name: string) => {
      const id = store.claim("demo", "up", new Date(t));
      const backups = join(dir, "hostkit_backups", id);
      mkdirSync(backups, { recursive: true });
      writeFileSync(join(backups, "01-file"), "x");
      const rec = store.start(id, { formatVersion: 1, kind: "hostkit.plan", direction: "up", project: "demo", target: { name, transport: "ssh", host: name }, createdAt: t, basis: "b", changes: [], summary: { create: 0, update: 0, delete: 0, run: 0, noop: 0 }, warnings: [] }, { backups, now: new Date(t) });
      return rec.id;
    };
    const a = ["2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z", "2026-01-01T00:00:03Z"].map((t) => mk(t, "a"));
    const b = mk("2026-01-01T00:00:04Z", "b");
    const removed = store.prune(1, { project: "demo", target: { name: "a", transport: "ssh", host: "a" } });
    expect(removed.map((r) => r.id)).toEqual(a.slice(0, 2));
    expect(readdirSync(store.paths.root).sort()).toEqual([a[2]!, b].sort());
    expect(existsSync(join(dir, "hostkit_backups", a[0]!))).toBe(false);
    expect(existsSync(join(dir, "hostkit_backups", b))).toBe(true);
  });
});
