/**
 * A loopback stand-in for repology.org that serves the REAL recorded responses (fixtures extracted
 * from reference packages.md §1.4 by test/fixtures/repology/extract.ts) byte for byte, and records
 * every request it sees (path, User-Agent, arrival time) so tests can check what the client sent.
 *
 * - `GET /api/v1/project/<name>`: `project-<name>.json` when recorded; otherwise the recorded answer
 *   for an unknown project (200 `[]`), which is what repology.org does.
 * - `blocked = true`: every request gets the recorded nginx 403 HTML page, as a blocked client does.
 * - anything else: 404 with an HTML body.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const FIXTURES = join(import.meta.dir, "../fixtures/repology");

export interface SeenRequest {
  path: string;
  userAgent: string | null;
  /** performance.now() at arrival. */
  at: number;
}

export interface RepologyServer {
  url: string;
  requests: SeenRequest[];
  blocked: boolean;
  stop(): void;
}

const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

export function startRepologyServer(): RepologyServer {
  const state: RepologyServer = { url: "", requests: [], blocked: false, stop: () => server.stop(true) };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      state.requests.push({ path, userAgent: req.headers.get("user-agent"), at: performance.now() });
      if (state.blocked) {
        return new Response(fixture("blocked-403.html"), { status: 403, headers: { "content-type": "text/html", server: "nginx" } });
      }
      const m = /^\/api\/v1\/project\/([a-z0-9][a-z0-9.+-]*)$/.exec(path);
      if (!m) return new Response("<html><body>404 Not Found</body></html>", { status: 404, headers: { "content-type": "text/html" } });
      const file = `project-${m[1]}.json`;
      const body = existsSync(join(FIXTURES, file)) ? fixture(file) : fixture("project-unknown.json");
      return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
    },
  });
  state.url = `http://127.0.0.1:${server.port}`;
  return state;
}
