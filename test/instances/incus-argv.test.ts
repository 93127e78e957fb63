// The Incus command lines as data: what HostKit would run, exactly (Kamal-style argv tests).
import { describe, expect, test } from "bun:test";
import { normalizeSpec } from "../../src/instances/backend.ts";
import * as A from "../../src/instances/incus-argv.ts";

const spec = normalizeSpec({
  name: "demo-vm",
  image: "hostkit-bookworm-abc",
  lifecycle: "ephemeral",
  expose: { ssh: { host: 2222, guest: 22 }, web: { host: 18080, guest: 80, listen: "::1" } },
  config: { "limits.memory": "512MiB", "limits.cpu": 2 },
});

describe("incus argv", () => {
  test("sudo -n and an explicit project prefix every command", () => {
    expect(A.startArgv({ sudo: true, project: "hostkit" }, "demo-vm")).toEqual(["sudo", "-n", "incus", "--project", "hostkit", "start", "demo-vm"]);
    expect(A.startArgv({}, "demo-vm")).toEqual(["incus", "--project", "default", "start", "demo-vm"]);
    expect(A.startArgv({ bin: "/opt/incus/bin/incus" }, "x")[0]).toBe("/opt/incus/bin/incus");
  });

  test("read is one `incus query --raw` with project and recursion in the URL", () => {
    expect(A.readArgv({ sudo: true, project: "hostkit" }, "demo-vm")).toEqual([
      "sudo", "-n", "incus", "query", "--raw", "/1.0/instances/demo-vm?project=hostkit&recursion=1",
    ]);
  });

  test("create: image only here, ephemeral flag, profiles, sorted -c keys with HostKit's ownership markers", () => {
    expect(A.createArgv({ project: "hostkit", profiles: ["hostkit"] }, spec)).toEqual([
      "incus", "--project", "hostkit", "create", "hostkit-bookworm-abc", "demo-vm", "--ephemeral", "-p", "hostkit",
      "-c", "limits.cpu=2", "-c", "limits.memory=512MiB",
      "-c", "user.hostkit.image=hostkit-bookworm-abc", "-c", "user.hostkit.keys=limits.cpu,limits.memory", "-c", "user.hostkit.managed=true",
    ]);
    const vm = { ...spec, kind: "vm" as const, lifecycle: "persistent" as const, config: {} };
    expect(A.createArgv({ profiles: [] }, vm)).toEqual([
      "incus", "--project", "default", "create", "hostkit-bookworm-abc", "demo-vm", "--vm", "--no-profiles",
      "-c", "user.hostkit.image=hostkit-bookworm-abc", "-c", "user.hostkit.keys=", "-c", "user.hostkit.managed=true",
    ]);
  });

  test("proxy devices: hk-NAME, loopback listen, IPv6 in brackets, connect to the guest's loopback", () => {
    expect(A.deviceAddArgv({}, "demo-vm", "ssh", spec.expose.ssh!)).toEqual([
      "incus", "--project", "default", "config", "device", "add", "demo-vm", "hk-ssh", "proxy", "listen=tcp:127.0.0.1:2222", "connect=tcp:127.0.0.1:22",
    ]);
    expect(A.deviceSetArgv({}, "demo-vm", "web", spec.expose.web!)).toEqual([
      "incus", "--project", "default", "config", "device", "set", "demo-vm", "hk-web", "listen=tcp:[::1]:18080", "connect=tcp:127.0.0.1:80",
    ]);
    expect(A.deviceRemoveArgv({}, "demo-vm", "web")).toEqual(["incus", "--project", "default", "config", "device", "remove", "demo-vm", "hk-web"]);
  });

  test("stop: clean with a timeout, or forced; delete is forced (stop + delete)", () => {
    expect(A.stopArgv({}, "x")).toEqual(["incus", "--project", "default", "stop", "x", "--timeout", "30"]);
    expect(A.stopArgv({ stopTimeoutSeconds: 5 }, "x")).toEqual(["incus", "--project", "default", "stop", "x", "--timeout", "5"]);
    expect(A.stopArgv({}, "x", true)).toEqual(["incus", "--project", "default", "stop", "x", "--force"]);
    expect(A.deleteArgv({}, "x")).toEqual(["incus", "--project", "default", "delete", "--force", "x"]);
  });

  test("config: set in one call, unset one key per call, lifecycle as an instance property", () => {
    expect(A.configSetArgv({}, "x", { "limits.cpu": "2", "user.note": "a b=c" })).toEqual([
      "incus", "--project", "default", "config", "set", "x", "limits.cpu=2", "user.note=a b=c",
    ]);
    expect(A.configUnsetArgv({}, "x", "limits.cpu")).toEqual(["incus", "--project", "default", "config", "unset", "x", "limits.cpu"]);
    expect(A.lifecycleArgv({}, "x", "persistent")).toEqual(["incus", "--project", "default", "config", "set", "x", "ephemeral=false", "--property"]);
  });

  test("file push reads stdin (no temp file, no content in argv); exec never allocates a tty", () => {
    expect(A.pushFileArgv({ sudo: true }, "x", "/root/.ssh/authorized_keys", { mode: 0o600, uid: 0, gid: 0 })).toEqual([
      "sudo", "-n", "incus", "--project", "default", "file", "push", "-", "x/root/.ssh/authorized_keys", "--mode", "0600", "--uid", "0", "--gid", "0",
    ]);
    expect(A.execArgv({}, "x", ["sh", "-c", "echo $1", "sh", "--project"])).toEqual([
      "incus", "--project", "default", "exec", "x", "-T", "--", "sh", "-c", "echo $1", "sh", "--project",
    ]);
  });
});
