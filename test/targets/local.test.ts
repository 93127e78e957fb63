import { describe, expect, test } from "bun:test";
import { localRunner } from "../../src/targets/local.ts";
import { text, type StdinStream } from "../../src/targets/runner.ts";
import { runnerContract } from "./contract.ts";

runnerContract("local", async () => localRunner());

const sudoUsable = Bun.which("sudo") !== null && Bun.spawnSync(["sudo", "-n", "true"]).exitCode === 0;
if (!sudoUsable) console.log("skip: local sudo tests: `sudo -n true` does not work on this machine");

describe("local runner", () => {
  test("describes itself without secrets", () => {
    expect(localRunner().description).toBe("local");
    expect(localRunner({ sudo: true }).description).toBe("local (sudo)");
    expect(localRunner().transport).toBe("local");
  });

  test.skipIf(!sudoUsable)("sudo prefixes every command with `sudo -n`", async () => {
    const r = localRunner({ sudo: true });
    const res = await r.exec(["sh", "-c", 'echo "$SUDO_USER:$(id -u)"']);
    expect(res.code).toBe(0);
    expect(text(res.stdout)).toMatch(/^\w[\w-]*:0\n$/);
    await r.close();
  });
});

describe("local runner: streamed stdin", () => {
  test("a producer that fails: the call rejects with its error, and the command saw a stdin cut short", async () => {
    const chunk = new Uint8Array(1 << 20);
    const failing: StdinStream = { size: 4 << 20, async *chunks() { yield chunk; yield chunk; throw new Error("source changed"); } };
    let seen = "";
    const err = await localRunner()
      .exec(["sh", "-c", "wc -c"], { stdin: failing })
      .then((r) => (seen = text(r.stdout)), (e: Error) => e.message);
    expect(err).toContain("source changed");
    expect(seen).toBe("");
  });
});
