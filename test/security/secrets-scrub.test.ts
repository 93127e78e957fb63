/**
 * Issue 8, item 10: a failing command's output was joined with " | " before it was scrubbed, so a
 * multi-line secret (or one line of it) got through, and values under 4 characters were never
 * scrubbed. Through the compiled binary on this machine (--local; commands run on live hosts only):
 * a command loads an env file holding a multi-line key and 1-, 2- and 3-character secrets, prints
 * them (whole, one line alone, as tokens) and fails. The error — in text, --json and the tracked run
 * record — masks every one of them, and short secrets do not mangle the words that contain them.
 */
import { afterAll, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { filesUnder, hk, infra, removeTempDirs, tempDir } from "./secrets-helpers.ts";

afterAll(removeTempDirs);

const MIDDLE = `CANARY-${randomUUID()}`;
const env = {
  HK_MULTI: `-----BEGIN HK KEY-----\n${MIDDLE}\n-----END HK KEY-----`,
  HK_ONE: "Q",
  HK_TWO: "zk",
  HK_THREE: "w9!",
};

// Five lines on stderr (the error keeps the last five), then a failure.
const SCRIPT = [
  'printf "multi: %s\\n" "$MULTI"',
  'printf "middle only: %s\\n" "$(printf "%s\\n" "$MULTI" | sed -n 2p)"',
  'printf "short: %s %s %s Quiet zkw9 exit\\n" "$ONE" "$TWO" "$THREE"',
  "exit 3",
].join("; ");

test("a failing command's output masks multi-line secrets, each of their lines, and 1–3 character secrets as tokens", async () => {
  const dir = tempDir("hk-scrub-");
  infra(
    dir,
    `export default project("scrub", (p) => {
  p.roots({ config: ${JSON.stringify(join(dir, "etc"))} });
  p.service("web", (s) => {
    s.env("runtime", { secret: { MULTI: secretEnv("HK_MULTI"), ONE: secretEnv("HK_ONE"), TWO: secretEnv("HK_TWO"), THREE: secretEnv("HK_THREE") } });
    s.command("leak", { exec: ["sh", "-c", ${JSON.stringify(`${SCRIPT} >&2`)}], env: ["runtime"], when: "always", down: "noop" });
  });
});`,
  );
  const text = await hk(["apply", "config.ts", "--local", "--confirm", "--track"], { cwd: dir, env });
  const json = await hk(["apply", "config.ts", "--local", "--confirm", "--json"], { cwd: dir, env });
  // The env file did get the real values (the command really printed them)…
  const envText = readFileSync(join(dir, "etc/web/runtime.env"), "utf8");
  expect(envText).toContain(MIDDLE);
  expect(envText).toContain("ONE=Q\n");
  expect(text.code).toBe(1);
  expect(json.code).toBe(1);
  const record = filesUnder(join(dir, ".hostkit/runs")).filter((f) => f.endsWith("run.json"));
  expect(record.length).toBe(1);
  const outputs: Record<string, string> = { text: text.stdout + text.stderr, json: json.stdout + json.stderr, record: readFileSync(record[0]!, "utf8") };
  for (const [where, out] of Object.entries(outputs)) {
    // …and every output names the failure with the scrubbed lines, in order.
    expect({ where, has: out.includes("multi: (secret) | middle only: (secret) | short: (secret) (secret) (secret) Quiet zkw9 exit") }).toEqual({ where, has: true });
    expect({ where, leaks: [MIDDLE, "BEGIN HK KEY", "short: Q", " zk ", "w9!"].filter((s) => out.includes(s)) }).toEqual({ where, leaks: [] });
  }
  // The exit code and the step's own label are HostKit's words, not output: never masked.
  expect(outputs.text).toContain("exit 3: multi: (secret)");
}, 60_000);
