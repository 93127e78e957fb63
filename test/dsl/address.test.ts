/** Network addresses in every form normalize to what systemd and listeners use. */
import { describe, expect, test } from "bun:test";
import { connectHost, normalizeAddress, systemdAddress } from "../../src/model/address.ts";

describe("normalizeAddress", () => {
  test.each([
    ["loopback", "loopback"],
    ["localhost", "loopback"],
    ["any", "any"],
    ["all", "any"],
    [[127, 0, 0, 1], "127.0.0.1"],
    [[10, 44, 0, 0, 24], "10.44.0.0/24"],
    [[0, 0, 0, 0, 0], "0.0.0.0/0"],
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["192.168.1.10", "192.168.1.10"],
    ["::1", "::1"],
    ["fd00::/8", "fd00::/8"],
  ] as const)("%p → %p", (input, expected) => {
    expect(normalizeAddress(input)).toBe(expected);
  });

  test.each([
    [[300, 0, 0, 1], /octet above 255/],
    [[10, 0, 0], /must be 4 octets/],
    [[10, 0, 0, 0, 33], /prefix length 33 is above 32/],
    [[10, -1, 0, 0], /must be 4 octets/],
    ["example.com", /is not "loopback", "any", an IP/],
    ["10.0.0.1; rm -rf /", /is not "loopback"/],
    [42, /expected an address/],
  ] as const)("refuses %p", (input, message) => {
    const r = normalizeAddress(input);
    expect((r as { error: string }).error).toMatch(message);
  });

  test("systemd spells loopback 'localhost'; other addresses pass through", () => {
    expect(systemdAddress("loopback")).toBe("localhost");
    expect(systemdAddress("10.44.0.0/24")).toBe("10.44.0.0/24");
  });

  test("a listener is reached at its address (loopback and any at 127.0.0.1)", () => {
    expect(connectHost("loopback")).toBe("127.0.0.1");
    expect(connectHost("any")).toBe("127.0.0.1");
    expect(connectHost("10.44.0.5")).toBe("10.44.0.5");
  });
});
