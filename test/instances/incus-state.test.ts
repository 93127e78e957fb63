// The parser on real `incus query --raw` answers recorded by test/fixtures/incus/record.sh.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { IncusParseError, parseAddress, parseReadOutput } from "../../src/instances/incus-state.ts";

const fixture = (f: string) => readFileSync(new URL(`../fixtures/incus/${f}`, import.meta.url), "utf8");

describe("incus state parser (recorded fixtures)", () => {
  test("a running container with two HostKit proxy devices and a foreign one", () => {
    const r = parseReadOutput(fixture("instance-running.json"));
    if (!("found" in r) || !r.found) throw new Error("expected found");
    const s = r.state;
    expect(s.name).toBe("hk-inst-test-fixture");
    expect(s.project).toBe("default");
    expect(s.status).toBe("running");
    expect(s.kind).toBe("container");
    expect(s.lifecycle).toBe("persistent");
    expect(s.managed).toBe(true);
    expect(s.image).toMatch(/^hostkit-bookworm-/);
    // only the instance's own, user-visible keys: no volatile.*, image.*, user.hostkit.*
    expect(s.config).toEqual({ "limits.cpu": "1" });
    expect(s.managedKeys).toEqual(["limits.cpu"]);
    expect(s.forwards).toEqual({
      ssh: { listen: "127.0.0.1", host: 2398, guestAddr: "127.0.0.1", guest: 22, raw: "connect=tcp:127.0.0.1:22 listen=tcp:127.0.0.1:2398" },
      web: { listen: "127.0.0.1", host: 2399, guestAddr: "127.0.0.1", guest: 80, raw: "connect=tcp:127.0.0.1:80 listen=tcp:127.0.0.1:2399" },
    });
    // a device HostKit did not name is someone else's; profile devices (eth0, root) are not listed at all
    expect(s.otherDevices).toEqual(["other"]);
    expect(s.addresses.length).toBe(1);
    expect(s.addresses[0]).toMatch(/^10\.\d+\.\d+\.\d+$/);
  });

  test("the same container stopped: status stopped, no addresses", () => {
    const r = parseReadOutput(fixture("instance-stopped.json"));
    if (!("found" in r) || !r.found) throw new Error("expected found");
    expect(r.state.status).toBe("stopped");
    expect(r.state.addresses).toEqual([]);
    expect(Object.keys(r.state.forwards).sort()).toEqual(["ssh", "web"]);
  });

  test("absent instance → not found; absent project → an error with Incus' text", () => {
    expect(parseReadOutput(fixture("not-found.json"))).toEqual({ found: false });
    expect(parseReadOutput(fixture("project-not-found.json"))).toEqual({ error: "Project not found", code: 404 });
  });

  test("garbage is a parse error, not an absent instance", () => {
    expect(() => parseReadOutput("Error: something")).toThrow(IncusParseError);
    expect(() => parseReadOutput('{"type":"sync","metadata":{"name":"x","type":"lxd-thing"}}')).toThrow(/unknown type/);
  });

  test("a VM, ephemeral, not HostKit's, and a proxy device HostKit cannot read", () => {
    const r = parseReadOutput(JSON.stringify({
      type: "sync",
      metadata: {
        name: "v", type: "virtual-machine", status: "Frozen", ephemeral: true, config: { "user.x": "1" },
        devices: { "hk-dns": { type: "proxy", listen: "udp:127.0.0.1:53", connect: "udp:127.0.0.1:53" } },
      },
    }));
    if (!("found" in r) || !r.found) throw new Error("expected found");
    expect(r.state).toMatchObject({ kind: "vm", lifecycle: "ephemeral", status: "frozen", managed: false, managedKeys: [], config: { "user.x": "1" } });
    expect(r.state.forwards.dns).toEqual({ raw: "connect=udp:127.0.0.1:53 listen=udp:127.0.0.1:53" });
  });

  test("listen/connect addresses", () => {
    expect(parseAddress("tcp:127.0.0.1:2222")).toEqual({ addr: "127.0.0.1", port: 2222 });
    expect(parseAddress("tcp:[::1]:2222")).toEqual({ addr: "::1", port: 2222 });
    expect(parseAddress("tcp:0.0.0.0:80-90")).toBeUndefined();
    expect(parseAddress("unix:/run/x.sock")).toBeUndefined();
    expect(parseAddress("tcp:127.0.0.1:70000")).toBeUndefined();
  });
});
