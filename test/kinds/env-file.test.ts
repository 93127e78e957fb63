/** `env_file`: drift on metadata and `set` entries; secret values on the host are never read into anything. */
import { describe, expect, test } from "bun:test";
import { envFile } from "../../src/kinds/env-file.ts";
import type { EnvFile } from "../../src/model/resource.ts";
import { SECRET_IN_FILE_VALUE } from "./secret-value.ts";
import { decide } from "./fixtures.ts";

describe("env_file: probe fixtures → decision", () => {
  test("missing → create; the plan shows the secret as a reference", () => {
    const { decision } = decide("env-missing");
    expect(decision).toMatchObject({ action: "create", reason: "env file does not exist", after: { set: { MIX_ENV: "prod" }, secret: { SECRET_KEY_BASE: { $secret: { env: "SECRET_KEY_BASE" } } }, mode: 0o640 } });
  });

  test("set entries and metadata match, secret not set on the controller → noop, saying its value was not compared", () => {
    delete process.env.SECRET_KEY_BASE;
    const { decision, fx, fact } = decide("env-match");
    expect(fx.raw).toContain(SECRET_IN_FILE_VALUE); // the host file really holds the secret…
    expect(decision).toMatchObject({ action: "noop", reason: "env file matches; the values of secret SECRET_KEY_BASE were not compared (not set on the controller)" });
    expect(JSON.stringify([fact, decision, envFile.basis ? envFile.basis(fact as never) : fact])).not.toContain(SECRET_IN_FILE_VALUE); // …and nothing keeps it
  });

  test("the secret's value on the controller equals the host's → noop (compared); differs → update naming the key, no value, no hash", () => {
    const rotated = "rotated-canary-Zq9";
    try {
      process.env.SECRET_KEY_BASE = SECRET_IN_FILE_VALUE;
      expect(decide("env-match").decision).toMatchObject({ action: "noop", reason: "env file matches (secret values compared)" });
      process.env.SECRET_KEY_BASE = rotated;
      const { decision, fact } = decide("env-match");
      expect(decision).toMatchObject({ action: "update", reason: "secret SECRET_KEY_BASE changed" });
      const text = JSON.stringify([fact, decision, envFile.basis ? envFile.basis(fact as never) : fact]);
      for (const v of [SECRET_IN_FILE_VALUE, rotated]) expect(text).not.toContain(v);
      expect(text).not.toMatch(/[0-9a-f]{32}/); // no digest of either value
    } finally {
      delete process.env.SECRET_KEY_BASE;
    }
  });

  test("a changed `set` value → update naming the key; the host's value is not kept (it may have been a secret)", () => {
    const { decision, fx } = decide("env-set-differs");
    expect(fx.raw).toContain("PORT=4000");
    expect(decision.action).toBe("update");
    expect(decision.reason).toBe("PORT differs");
    expect((decision.before as { set: Record<string, string> }).set).toEqual({ MIX_ENV: "prod" }); // equal to the declaration: nothing new
    expect(decision.before).toMatchObject({ keys: expect.arrayContaining(["PORT"]) });
    expect(decision.after).toMatchObject({ set: { PORT: "4001" } });
  });

  test("a declared secret that is not in the file → update", () => {
    expect(decide("env-secret-missing").decision).toMatchObject({ action: "update", reason: "secret DATABASE_URL missing" });
  });

  test("a key on the host that is not declared → update, and its value stays unread", () => {
    const { decision, fact } = decide("env-undeclared-key");
    expect(decision).toMatchObject({ action: "update", reason: "undeclared SECRET_KEY_BASE" });
    expect(JSON.stringify([fact, decision])).not.toContain(SECRET_IN_FILE_VALUE);
  });
});

test("ops: the payload is the env file by reference (resolved at apply time), never the value", () => {
  const r: EnvFile = { id: "/etc/a.env", source: { file: "x.ts", line: 1 }, type: "env_file", path: "/etc/a.env", set: { A: "1" }, secret: { S: { $secret: { env: "S_ENV" } } }, owner: "root", group: "root", mode: 0o600, rollback: "delete" };
  const [op] = envFile.ops({ key: "env_file:/etc/a.env", type: "env_file", id: r.id, action: "create", reason: "", resource: r }, {});
  expect(op!.stdin).toEqual({ envFile: { set: { A: "1" }, secret: { S: { $secret: { env: "S_ENV" } } } } });
  expect(op!.argv.slice(4)).toEqual(["/etc/a.env", "600", "root", "root", "", "0"]);
});
