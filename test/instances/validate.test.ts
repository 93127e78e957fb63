// Load-time checks: names, ports, host-port clashes across instances, config keys.
import { describe, expect, test } from "bun:test";
import { normalizeSpec, type InstanceInput } from "../../src/instances/backend.ts";
import { validateSpecs } from "../../src/instances/validate.ts";
import { formatDiagnostic } from "../../src/model/errors.ts";

const base: InstanceInput = { name: "web", image: "img", expose: { ssh: { host: 2222, guest: 22 } } };
const msgs = (...inputs: InstanceInput[]) => validateSpecs(inputs.map(normalizeSpec)).map(formatDiagnostic);

describe("validateSpecs", () => {
  test("a good spec has no problems", () => {
    expect(msgs(base, { ...base, name: "db", expose: { ssh: { host: 2223, guest: 22 } }, config: { "limits.cpu": 2, "environment.HTTP_PROXY": "x" } })).toEqual([]);
  });

  test("ports outside 1–65535 or not integers", () => {
    expect(msgs({ ...base, expose: { ssh: { host: 0, guest: 22 }, web: { host: 8080, guest: 65536 }, x: { host: 1.5 as number, guest: "80" as unknown as number } } })).toEqual([
      'instance "web" › expose.ssh.host: must be a port number 1–65535, got 0',
      'instance "web" › expose.web.guest: must be a port number 1–65535, got 65536',
      'instance "web" › expose.x.host: must be a port number 1–65535, got 1.5',
      'instance "web" › expose.x.guest: must be a port number 1–65535, got "80"',
    ]);
  });

  test("two instances exposing the same host port: one error naming both", () => {
    expect(msgs(base, { ...base, name: "db", expose: { admin: { host: 2222, guest: 22 } } })).toEqual([
      'instance "db" › expose.admin.host: host port 2222 is exposed by two instances: instance "web" › expose.ssh and instance "db" › expose.admin',
    ]);
  });

  test("the same port on two specific addresses is fine; against a wildcard it clashes", () => {
    expect(msgs(base, { ...base, name: "db", expose: { ssh: { host: 2222, guest: 22, listen: "127.0.0.2" } } })).toEqual([]);
    expect(msgs(base, { ...base, name: "db", expose: { ssh: { host: 2222, guest: 22, listen: "0.0.0.0" } } })).toHaveLength(1);
  });

  test("the same host port twice in one instance", () => {
    expect(msgs({ ...base, expose: { a: { host: 9000, guest: 80 }, b: { host: 9000, guest: 81 } } })).toEqual([
      'instance "web" › expose.b.host: host port 9000 is exposed twice in this instance (also by expose.a)',
    ]);
  });

  test("instance names Incus accepts, with a suggestion for underscores", () => {
    expect(msgs({ ...base, name: "demo_vm" })).toEqual([
      `instance "demo_vm": is not a valid instance name: 1–63 ASCII letters, digits and '-', starting with a letter and not ending with '-'\n  hint: use "demo-vm"`,
    ]);
    for (const bad of ["1web", "-web", "web-", "a".repeat(64), "we b", "web\nx", ""]) expect(msgs({ ...base, name: bad })).toHaveLength(1);
    for (const good of ["a", "Web-1", "a".repeat(63)]) expect(msgs({ ...base, name: good })).toEqual([]);
  });

  test("duplicate instance names (Incus names are case-insensitive here)", () => {
    expect(msgs(base, { ...base, name: "WEB", expose: {} })).toEqual(['instance "WEB": is declared twice (also as instance "web")']);
  });

  test("image, kind, lifecycle, state, ephemeral+stopped", () => {
    expect(msgs({ ...base, image: "--vm" })[0]).toContain("› image: must be an image name");
    expect(msgs({ ...base, kind: "lxc" as "vm" })[0]).toBe('instance "web" › kind: must be "container" or "vm", got "lxc"');
    expect(msgs({ ...base, lifecycle: "temp" as "ephemeral" })).toHaveLength(1);
    expect(msgs({ ...base, lifecycle: "ephemeral", state: "stopped" })[0]).toContain("an ephemeral instance cannot be declared stopped");
  });

  test("config keys: syntax and reserved namespaces", () => {
    expect(msgs({ ...base, config: { "Limits.cpu": "1", cpu: "1", "volatile.x": "1", "user.hostkit.managed": "false", "image.os": "x" } })).toEqual([
      'instance "web" › config.Limits.cpu: is not a valid config key (namespace.key, e.g. limits.cpu)',
      'instance "web" › config.cpu: is not a valid config key (namespace.key, e.g. limits.cpu)',
      'instance "web" › config.volatile.x: is reserved (volatile.*, image.* belong to the backend, user.hostkit.* to HostKit)',
      'instance "web" › config.user.hostkit.managed: is reserved (volatile.*, image.* belong to the backend, user.hostkit.* to HostKit)',
      'instance "web" › config.image.os: is reserved (volatile.*, image.* belong to the backend, user.hostkit.* to HostKit)',
    ]);
  });

  test("expose names and listen addresses", () => {
    expect(msgs({ ...base, expose: { "a=b": { host: 1, guest: 1 }, web: { host: 2, guest: 2, listen: "localhost" } } })).toEqual([
      "instance \"web\" › expose.a=b: is not a valid expose name (letters, digits, '_' and '-', up to 60 characters)",
      'instance "web" › expose.web.listen: must be an IP address (e.g. 127.0.0.1), got "localhost"',
    ]);
  });
});
