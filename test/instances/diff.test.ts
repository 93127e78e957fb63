// Spec vs state → actions and drift reasons (pure).
import { describe, expect, test } from "bun:test";
import { normalizeSpec, type InstanceState } from "../../src/instances/backend.ts";
import { diffInstance, forwardActions } from "../../src/instances/diff.ts";

const spec = normalizeSpec({
  name: "demo",
  image: "img-1",
  expose: { ssh: { host: 2222, guest: 22 }, web: { host: 18080, guest: 80 } },
  config: { "limits.cpu": "2" },
});

/** The state HostKit would read right after applying `spec`. */
function converged(): InstanceState {
  return {
    name: "demo", project: "default", status: "running", kind: "container", lifecycle: "persistent", managed: true, image: "img-1",
    config: { "limits.cpu": "2", "user.someone-else": "x" }, managedKeys: ["limits.cpu"],
    forwards: {
      ssh: { listen: "127.0.0.1", host: 2222, guest: 22, guestAddr: "127.0.0.1", raw: "" },
      web: { listen: "127.0.0.1", host: 18080, guest: 80, guestAddr: "127.0.0.1", raw: "" },
    },
    otherDevices: [], addresses: [],
  };
}

describe("diffInstance", () => {
  test("absent: create, one add per exposed port, start", () => {
    const d = diffInstance(spec, undefined);
    expect(d.actions.map((a) => a.op)).toEqual(["create", "forward-add", "forward-add", "start"]);
    expect(d.actions[0]!.reason).toBe('does not exist: create a persistent container from image "img-1"');
    expect(d.actions[1]!.reason).toBe("expose ssh: add 127.0.0.1:2222 → guest 22");
    expect(d.notes).toEqual([]);
  });

  test("declared stopped and absent: created, not started", () => {
    expect(diffInstance({ ...spec, state: "stopped" }, undefined).actions.map((a) => a.op)).toEqual(["create", "forward-add", "forward-add"]);
  });

  test("converged: nothing to do, and a key someone else set is ignored", () => {
    expect(diffInstance(spec, converged())).toEqual({ actions: [], notes: [] });
  });

  test("one exposed port changed: exactly one device update, naming old and new", () => {
    const d = diffInstance({ ...spec, expose: { ...spec.expose, web: { listen: "127.0.0.1", host: 18081, guest: 80 } } }, converged());
    expect(d.actions).toEqual([
      { op: "forward-update", name: "web", forward: { listen: "127.0.0.1", host: 18081, guest: 80 }, reason: "expose web: 127.0.0.1:18080 → guest 80 → 127.0.0.1:18081 → guest 80" },
    ]);
  });

  test("a port dropped from expose is removed; a forward edited by hand to another guest address is updated", () => {
    const s = converged();
    s.forwards.ssh = { ...s.forwards.ssh!, guestAddr: "10.0.0.9" };
    const d = diffInstance({ ...spec, expose: { ssh: spec.expose.ssh! } }, s);
    expect(d.actions.map((a) => [a.op, "name" in a ? a.name : ""])).toEqual([["forward-update", "ssh"], ["forward-remove", "web"]]);
    expect(d.actions[0]!.reason).toContain("(10.0.0.9)");
  });

  test("a forward HostKit cannot parse (udp) shows its raw form and is updated", () => {
    const s = converged();
    s.forwards.web = { raw: "connect=udp:127.0.0.1:80 listen=udp:127.0.0.1:18080" };
    const [a] = diffInstance(spec, s).actions;
    expect(a).toMatchObject({ op: "forward-update", name: "web" });
    expect(a!.reason).toBe('expose web: "connect=udp:127.0.0.1:80 listen=udp:127.0.0.1:18080" → 127.0.0.1:18080 → guest 80');
  });

  test("stopped by hand: start; declared stopped while running: stop", () => {
    const s = converged();
    s.status = "stopped";
    expect(diffInstance(spec, s).actions).toEqual([{ op: "start", reason: "is stopped, declared running" }]);
    expect(diffInstance({ ...spec, state: "stopped" }, converged()).actions).toEqual([{ op: "stop", reason: "is running, declared stopped" }]);
  });

  test("frozen or error: a note, no action", () => {
    const s = converged();
    s.status = "frozen";
    const d = diffInstance(spec, s);
    expect(d.actions).toEqual([]);
    expect(d.notes[0]).toMatch(/^status: is frozen, declared running/);
  });

  test("config: changed value, new key, and a key HostKit set earlier but no longer declares", () => {
    const s = converged();
    s.config["limits.memory"] = "1GiB";
    s.managedKeys = ["limits.cpu", "limits.memory"];
    const d = diffInstance({ ...spec, config: { "limits.cpu": "4", "boot.autostart": "true" } }, s);
    expect(d.actions).toEqual([
      {
        op: "config",
        change: { set: { "boot.autostart": "true", "limits.cpu": "4" }, unset: ["limits.memory"], managedKeys: ["boot.autostart", "limits.cpu"] },
        reason: 'config boot.autostart: unset → "true"; config limits.cpu: "2" → "4"; config limits.memory: no longer declared, unset (was "1GiB")',
      },
    ]);
  });

  test("config: a declared key already equal but not yet recorded as HostKit's → only the record", () => {
    const s = converged();
    s.managedKeys = [];
    const [a] = diffInstance(spec, s).actions;
    expect(a).toEqual({ op: "config", change: { set: {}, unset: [], managedKeys: ["limits.cpu"] }, reason: "config: record the keys HostKit manages (limits.cpu)" });
  });

  test("long config values are shortened in reasons", () => {
    const s = converged();
    const d = diffInstance({ ...spec, config: { "limits.cpu": "2", "cloud-init.user-data": "#cloud-config\n" + "x".repeat(500) } }, s);
    expect(d.actions[0]!.reason.length).toBeLessThan(120);
  });

  test("image and kind differences are notes (fixed at create); lifecycle is an action", () => {
    const s = converged();
    s.image = "img-0";
    s.kind = "vm";
    s.lifecycle = "ephemeral";
    const d = diffInstance(spec, s);
    expect(d.actions).toEqual([{ op: "lifecycle", lifecycle: "persistent", reason: "lifecycle: is ephemeral, declared persistent" }]);
    expect(d.notes).toEqual([
      "kind: is vm, declared container; the kind is fixed at create (delete the instance to recreate it)",
      'image: created from "img-0", declared "img-1"; the image is used only at create (delete the instance to recreate it)',
    ]);
  });

  test("an instance HostKit did not create is noted", () => {
    const s = converged();
    s.managed = false;
    delete s.image;
    expect(diffInstance(spec, s).notes).toEqual(["was not created by HostKit: only the declared config keys, exposed ports and running state are managed"]);
  });

  test("forwardActions on empty sides", () => {
    expect(forwardActions({}, {})).toEqual([]);
    expect(forwardActions({}, converged().forwards).map((a) => a.op)).toEqual(["forward-remove", "forward-remove"]);
  });
});
