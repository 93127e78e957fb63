/**
 * Handlers: reload and start/restart steps are derived by ONE function (src/plan/handlers.ts) for up
 * and down plans; each is placed once, after every resource change, however many changes notify it.
 */
import { describe, expect, test } from "bun:test";
import { down } from "../../src/plan/down.ts";
import { handlerSteps, type UnitInfo } from "../../src/plan/handlers.ts";
import type { Plan } from "../../src/model/plan.ts";
import { envFact, envRes, fileFact, fileRes, unitFact, unitRes, unitText, upPlan } from "../down/fixtures.ts";

const steps = (p: Plan) => p.changes.filter((c) => c.type === "systemd" || c.type === "service_state");
const conf = fileRes("/etc/demo/app.conf", "v=2\n");
const env = envRes("/etc/demo/app.env", { MODE: "two" }, {});
const unit = unitRes("web.service", "/bin/sleep 1", { restartOn: ["file:/etc/demo/app.conf", "env_file:/etc/demo/app.env"], service: "web" });
const other = unitRes("idle.service", "/bin/sleep 2", { service: "idle" });

describe("handlers", () => {
  test("two inputs of one unit change: ONE restart naming both, after every resource change; an unrelated unit is untouched", () => {
    const up = upPlan([
      [conf, fileFact("v=1\n")],
      [unit, unitFact(unitText(unit))],
      [env, envFact({ set: { MODE: "one" }, keys: ["MODE"] })],
      [other, unitFact(unitText(other))],
    ]);
    expect(up.changes.map((c) => `${c.action} ${c.key}: ${c.reason}`)).toEqual([
      "update file:/etc/demo/app.conf: content differs",
      "update env_file:/etc/demo/app.env: MODE differs",
      "run service_state:web.service: file:/etc/demo/app.conf, env_file:/etc/demo/app.env changed",
    ]);
  });

  test("up and down steps come from the same function: the down plan's steps are handlerSteps over its own changes", () => {
    const up = upPlan([
      [conf, fileFact("v=1\n")],
      [unit, unitFact("old unit\n")],
    ]);
    const units: UnitInfo[] = [{ name: "web.service", key: "systemd_service:web.service", source: "infra/config.ts:1", service: "web", start: true, restartOn: unit.restartOn }];
    // Up: the unit file and an input changed → one reload, one restart (the unit file is the reason).
    const upResources = up.changes.filter((c) => c.type !== "systemd" && c.type !== "service_state");
    expect(steps(up)).toEqual(handlerSteps(upResources, units.map((u) => ({ ...u, exists: true, active: "active" })), { live: true, verb: "changed" }));
    expect(steps(up).map((c) => `${c.key}: ${c.reason}`)).toEqual(["systemd:daemon-reload: unit files changed", "service_state:web.service: unit file changed"]);
    // Down: the same rules over the reversed changes, in the past tense of a rollback.
    const d = down(up);
    const downResources = d.changes.filter((c) => c.type !== "systemd" && c.type !== "service_state");
    expect(steps(d)).toEqual(handlerSteps(downResources, units, { live: true, verb: "restored", startedBefore: new Set(["web.service"]) }));
    expect(steps(d).map((c) => `${c.key}: ${c.reason}`)).toEqual(["systemd:daemon-reload: unit files restored", "service_state:web.service: unit file restored"]);
  });

  test("a unit that is not running is started, not restarted; offline roots get no steps", () => {
    const s = handlerSteps([], [{ name: "a.service", key: "systemd_service:a.service", start: true, restartOn: [], exists: true, active: "failed" }], { live: true, verb: "changed" });
    expect(s.map((c) => [c.reason, c.after])).toEqual([["not active (failed)", { op: "start", unit: "a.service" }]]);
    expect(handlerSteps([], [{ name: "a.service", key: "systemd_service:a.service", start: true, restartOn: [], exists: false, active: "inactive" }], { live: false, verb: "changed" })).toEqual([]);
  });
});
