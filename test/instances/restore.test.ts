// Down plans of an UPDATED instance (pure): each thing the run changed is inverted from the state it
// was planned against; the down plan built by src/plan/down.ts carries the restore and its ops.
import { describe, expect, test } from "bun:test";
import { normalizeSpec, type InstanceState } from "../../src/instances/backend.ts";
import { restoreActions } from "../../src/instances/restore.ts";
import { down } from "../../src/plan/down.ts";
import { kindOf } from "../../src/kinds/registry.ts";
import { makePlan, type Change } from "../../src/model/plan.ts";

const before: InstanceState = {
  name: "demo",
  status: "stopped",
  kind: "container",
  lifecycle: "persistent",
  managed: true,
  config: { "user.a": "old", "user.hand": "x" },
  managedKeys: ["user.a"],
  forwards: {
    ssh: { listen: "127.0.0.1", host: 2222, guest: 22, guestAddr: "127.0.0.1", raw: "" },
    gone: { listen: "127.0.0.1", host: 2224, guest: 8080, guestAddr: "127.0.0.1", raw: "" },
  },
  otherDevices: [],
  addresses: [],
};

const spec = normalizeSpec({
  name: "demo",
  image: "img",
  expose: { ssh: { host: 2223, guest: 22 }, web: { host: 18080, guest: 80 } },
  config: { "user.a": "new", "user.b": "1" },
});

describe("restoreActions", () => {
  test("each change of the run inverted, newest first: start → stop, ports back, keys back", () => {
    const r = restoreActions(spec, before, "demo");
    expect(r.actions.map((a) => a.reason)).toEqual([
      "started by the run: stop instance demo",
      "expose gone: removed by the run, add back 127.0.0.1:2224 → guest 8080",
      "expose web: added by the run, remove 127.0.0.1:18080 → guest 80",
      "expose ssh: restore 127.0.0.1:2222 → guest 22",
      'restore config of demo: user.a="old", unset user.b',
    ]);
    expect(r.actions.at(-1)).toMatchObject({ op: "config", change: { set: { "user.a": "old" }, unset: ["user.b"], managedKeys: ["user.a"] } });
    expect(r.forwards).toEqual({ ssh: { listen: "127.0.0.1", host: 2222, guest: 22 }, gone: { listen: "127.0.0.1", host: 2224, guest: 8080 } });
    // a key set by hand is neither touched nor part of HostKit's restored keys
    expect(r.config).toEqual({ "user.a": "old" });
    expect(r.warnings).toEqual([]);
  });

  test("nothing changed by the run: nothing to restore", () => {
    const same = { ...before, status: "running", config: { "user.a": "new", "user.b": "1" }, managedKeys: ["user.a", "user.b"], forwards: { ssh: { listen: "127.0.0.1", host: 2223, guest: 22, guestAddr: "127.0.0.1", raw: "" }, web: { listen: "127.0.0.1", host: 18080, guest: 80, guestAddr: "127.0.0.1", raw: "" } } };
    expect(restoreActions(spec, same, "demo").actions).toEqual([]);
  });

  test("a device HostKit cannot write back (a port range) is left, with a warning", () => {
    const odd = { ...before, status: "running", forwards: { ...before.forwards, ssh: { raw: "listen=tcp:127.0.0.1:2222-2223 connect=tcp:127.0.0.1:22" } } };
    const r = restoreActions(spec, odd, "demo");
    expect(r.warnings).toEqual(['instance demo: expose ssh was "listen=tcp:127.0.0.1:2222-2223 connect=tcp:127.0.0.1:22" before the run, which HostKit cannot write back; not restored']);
    expect(r.actions.map((a) => a.op)).not.toContain("forward-update");
  });
});

describe("the down plan of an updated instance", () => {
  const resource = {
    type: "instance", id: "demo", host: "demo", name: "demo", backend: { type: "incus", sudo: true }, image: "img", kind: "container", lifecycle: "persistent", state: "running",
    expose: spec.expose, config: spec.config, rollback: "delete_if_created", source: { file: "infra.ts", line: 3 },
  };
  const kind = kindOf("instance")!;
  const decision = kind.diff(resource as never, before as never);
  const up = makePlan({
    direction: "up", project: "p", target: { name: "demo", transport: "local" }, basis: "x", warnings: [], summary: { create: 0, update: 1, delete: 0, run: 0, noop: 0 },
    changes: [{ key: "instance:demo", type: "instance", id: "demo", ...decision, resource } as Change],
  });
  const back = down(up);

  test("one update restoring each part, with the backend commands to do it (removals of ports first)", () => {
    expect(back.changes).toHaveLength(1);
    const c = back.changes[0]!;
    expect(c).toMatchObject({ action: "update", reason: "started by the run: stop instance demo (+4 more)" });
    const argv = kind.ops(c as never, {}).map((o) => o.argv.join(" "));
    expect(argv).toEqual([
      "sudo -n incus --project default stop demo --timeout 30",
      "sudo -n incus --project default config device remove demo hk-web",
      "sudo -n incus --project default config device add demo hk-gone proxy listen=tcp:127.0.0.1:2224 connect=tcp:127.0.0.1:8080",
      "sudo -n incus --project default config device set demo hk-ssh listen=tcp:127.0.0.1:2222 connect=tcp:127.0.0.1:22",
      "sudo -n incus --project default config set demo user.a=old user.hostkit.keys=user.a",
      "sudo -n incus --project default config unset demo user.b",
    ]);
  });

  test("its basis is the state the run left (ports and keys included), so a hand change since makes it stale", () => {
    const leftBy = kind.down.settled(up.changes[0]!);
    expect(leftBy).toEqual({ exists: true, status: "running", expose: { ssh: "127.0.0.1:2223->22", web: "127.0.0.1:18080->80" }, config: { "user.a": "new", "user.b": "1" } });
    const after = { ...before, status: "running", config: { "user.a": "new", "user.b": "1", "user.hand": "x" }, managedKeys: ["user.a", "user.b"], forwards: { ssh: { listen: "127.0.0.1", host: 2223, guest: 22, raw: "" }, web: { listen: "127.0.0.1", host: 18080, guest: 80, raw: "" } } };
    expect(kind.down.observed(after as never)).toEqual(leftBy);
    const moved = { ...after, forwards: { ...after.forwards, web: { listen: "127.0.0.1", host: 18081, guest: 80, raw: "" } } };
    expect(kind.down.observed(moved as never)).not.toEqual(leftBy);
    // the restored state is what the down change settles
    expect(kind.down.settled(back.changes[0]!)).toEqual({ exists: true, status: "stopped", expose: { ssh: "127.0.0.1:2222->22", gone: "127.0.0.1:2224->8080" }, config: { "user.a": "old" } });
  });
});
