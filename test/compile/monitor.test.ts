/** Monitoring intent on daemons: recorded in the model, shown by dump; a hostile check is a load-time error. */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { cleanup, hk, infra, ok, tempDir } from "../down/helpers.ts";
import { afterAll } from "bun:test";

afterAll(cleanup);
const REPO = join(import.meta.dir, "../..");

test("dump shows a daemon's checks (JSON) and that it is monitored (text)", async () => {
  const dir = tempDir("mon");
  const json = JSON.parse((await ok(["dump", join(REPO, "examples/network.ts"), "--json"], { cwd: dir })).stdout);
  const api = json.resources.find((r: { key: string }) => r.key === "systemd_service:toys-api.service");
  expect(api.monitor).toEqual({ systemd: { expect: { state: "active" } }, http: { url: "http://127.0.0.1:3000/health", expect: { status: 200 } }, severity: "critical" });
  const text = (await ok(["dump", join(REPO, "examples/network.ts")], { cwd: dir })).stdout;
  expect(text).toMatch(/systemd_service:toys-api\.service {2}enabled {2}monitored \(critical\)/);
});

test("a check URL with credentials or a status out of range is one error with file:line", async () => {
  const dir = tempDir("mon-bad");
  infra(dir, "bad.ts", `export default project("m", (p) => p.service("w", (s) => {
  s.daemon({ exec: ["/bin/true"], monitor: { http: { url: "http://user:pw@127.0.0.1/x" } } });
}));`);
  const r = await hk(["dump", "bad.ts"], { cwd: dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^error: bad\.ts:3: service "w" › daemon › monitor\.http\.url: must be an http:\/\/ or https:\/\/ URL without credentials/);
  infra(dir, "bad2.ts", `export default project("m", (p) => p.service("w", (s) => {
  s.daemon({ exec: ["/bin/true"], monitor: { http: { url: "http://127.0.0.1/x", expect: { status: 999 } } } });
}));`);
  const r2 = await hk(["dump", "bad2.ts"], { cwd: dir });
  expect(r2.code).toBe(1);
  expect(r2.stderr).toContain("monitor.http.expect.status");
});
