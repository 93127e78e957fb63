/**
 * The seed's provider example: Caddy serves a service's named listener.
 *   hostkit plan examples/caddy.ts --root /tmp/image
 * The site's upstream is the daemon's `http` listener, rendered as 127.0.0.1:4000.
 */
import { project } from "hostkit";
import { caddy } from "hostkit/caddy";

export default project("demo", (p) => {
  p.provider(caddy({ sitesDir: "/etc/caddy/sites" }));
  p.service("web", (s) => {
    s.package("caddy");
    s.daemon({ exec: ["/opt/web/bin/server"], listen: { http: { port: 4000 } } });
    s.add(
      caddy.site("example.com", {
        path: "web.caddy",
        encode: ["zstd", "gzip"],
        reverseProxy: "http",
        monitor: { http: { url: "https://example.com/health", expect: { status: 200 } }, severity: "critical" },
      }),
    );
  });
});
