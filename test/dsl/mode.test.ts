/** File modes in all five forms normalize to the integer the model stores. */
import { describe, expect, test } from "bun:test";
import { formatMode, MODE_ALIASES, normalizeMode } from "../../src/model/mode.ts";

describe("normalizeMode", () => {
  test.each([
    ["a number", 0o640, 0o640],
    ["a number with special bits", 0o2775, 0o2775],
    ["an alias", "secret_group_file", 0o640],
    ["the private_dir alias", "private_dir", 0o700],
    ["an octal string", "0750", 0o750],
    ["a triple", ["rw", "r", null], 0o640],
    ["a triple with empty strings", ["rwx", "", ""], 0o700],
    ["a record", { owner: "rw", group: "r" }, 0o640],
    ["a full record", { owner: "rwx", group: "rx", other: "rx" }, 0o755],
    ["a capability list", ["setgid", "owner_rwx", "group_rwx", "other_rx"], 0o2775],
    ["a capability list with sticky", ["sticky", "owner_rwx", "group_rwx", "other_rwx"], 0o1777],
  ] as const)("%s", (_what, input, expected) => {
    expect(normalizeMode(input)).toBe(expected);
  });

  test("every alias is a valid mode", () => {
    for (const [alias, value] of Object.entries(MODE_ALIASES)) expect(normalizeMode(alias)).toBe(value);
  });

  test.each([
    ["a negative number", -1, /outside 0\.\.0o7777/],
    ["a number too large", 0o10000, /outside/],
    ["a fraction", 6.4, /outside/],
    ["an unknown alias", "secret", /unknown mode alias "secret"/],
    ["a triple of two", ["rw", "r"], /exactly 3 entries/],
    ["letters out of order", ["wr", "r", null], /permission "wr"/],
    ["a record with a typo", { ownr: "rw" }, /unknown mode class "ownr"/],
    ["an unknown capability", ["owner_rwx", "group_all"], /unknown mode capability "group_all"/],
    ["a boolean", true, /expected a mode/],
  ] as const)("refuses %s", (_what, input, message) => {
    const r = normalizeMode(input);
    expect(typeof r).toBe("object");
    expect((r as { error: string }).error).toMatch(message);
  });

  test("formatMode prints four octal digits", () => {
    expect(formatMode(0o640)).toBe("0640");
    expect(formatMode(0o2775)).toBe("2775");
  });
});
