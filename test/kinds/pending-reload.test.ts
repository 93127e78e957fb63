/** Pending reloads as data: the marker listing parsed (hostile names ignored), steps planned once. */
import { expect, test } from "bun:test";
import { pendingReloadsFact, pendingReloadSteps, serviceState, SYSTEMD_STEPS } from "../../src/kinds/systemd-steps.ts";

const out = (s: string) => [{ code: 0, stdout: new TextEncoder().encode(s), stderr: new Uint8Array() }];

test("the marker listing: unit names only; anything else in the directory is ignored", () => {
  const m = pendingReloadsFact.parse(out("caddy.service\t2026-12-01T20:00:00Z\nweb@1.service\t\nevil;rm -rf\tx\n../etc\tx\nnot-a-unit\tx\n"), {});
  expect([...m]).toEqual([["caddy.service", "2026-12-01T20:00:00Z"], ["web@1.service", ""]]);
  expect(pendingReloadsFact.probe({ root: "/srv/image" })).toEqual([]); // offline roots reload nothing
});

test("a pending reload is planned unless the plan already starts, restarts or reloads that unit", () => {
  const pending = new Map([["caddy.service", "2026-12-01T20:00:00Z"], ["web.service", ""]]);
  const steps = pendingReloadSteps(pending, [serviceState("web.service", "restart", "file changed", {})]);
  expect(steps.map((c) => `${c.key} ${(c.after as { op: string }).op}`)).toEqual(["service_state:caddy.service reload"]);
  expect(steps[0]!.reason).toBe("reload again: its last reload failed (2026-12-01T20:00:00Z), so it may still run its old configuration");
});

test("reload and restart run through the marker-keeping program; the unit is an argument, never program text", () => {
  const ops = SYSTEMD_STEPS.find((s) => s.type === "service_state")!.ops(serviceState("a b;c.service", "reload", "r", {}), {});
  expect(ops[0]!.argv.slice(0, 2)).toEqual(["sh", "-c"]);
  expect(ops[0]!.argv.slice(3)).toEqual(["hostkit-systemctl", "reload", "a b;c.service"]);
  expect(ops[0]!.argv[2]).not.toContain("a b;c");
  expect(SYSTEMD_STEPS.find((s) => s.type === "service_state")!.ops(serviceState("x.service", "start", "r", {}), {})[0]!.argv).toEqual(["systemctl", "start", "--", "x.service"]);
});

test("a unit this plan deletes is not reloaded again: its delete forgets the marker", () => {
  const pending = new Map([["old.service", "2026-12-01T20:00:00Z"]]);
  expect(pendingReloadSteps(pending, [], new Set(["old.service"]))).toEqual([]);
  expect(pendingReloadSteps(pending, []).map((c) => c.key)).toEqual(["service_state:old.service"]);
});
