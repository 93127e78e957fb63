/**
 * Uses the provider of ./motd.ts (a user's own) next to the built-in Caddy provider.
 *   hostkit plan examples/providers/infra.ts --root /tmp/image
 */
import { project } from "hostkit";
import { caddy } from "hostkit/caddy";
import { motd } from "./motd.ts";

export default project("edge", (p) => {
  p.provider(motd({ banner: "edge: managed by HostKit" }));
  p.provider(caddy({ sitesDir: "/etc/caddy/sites" }));
  p.add(motd.line("status page: http://status.internal/", { order: 90 }));
  p.service("web", (s) => {
    s.package("caddy");
    s.daemon({ exec: ["/usr/bin/python3", "-m", "http.server", "4000", "--bind", "127.0.0.1"], listen: { http: { port: 4000 } } });
    s.add(caddy.site("web.example", { path: "web.caddy", encode: ["zstd", "gzip"], reverseProxy: "http", tls: "internal" }));
    s.add(motd.line("web: https://web.example (Caddy → 127.0.0.1:4000)", { order: 10 }));
  });
  p.add(caddy.site("http://status.internal", { root: "/srv/status", fileServer: true, logs: false }));
});
