// Network addresses and policy (the seed's "Named listeners" and "Network addresses and policy").
// Addresses: "loopback", "any", [127, 0, 0, 1], [10, 44, 0, 0, 24] (CIDR as the fifth number), strings.
import { project } from "hostkit";

export default project("toys", (p) => {
  p.roots({ config: "/etc/toys" });
  p.prefixes({ user: "toys-", unit: "toys-" });

  p.service("api", (s) => {
    s.account({ system: true });
    s.daemon({
      exec: ["/opt/toys/api/bin/server", "--port", "3000"],
      listen: {
        http: { port: 3000, on: "loopback" },
        metrics: { port: 9100, on: [127, 0, 0, 1] },
        cluster: { port: 4369, on: [10, 44, 0, 5] },
      },
      // IPAddressDeny=any, IPAddressAllow=localhost 10.44.0.0/24, RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
      networkPolicy: { deny: "all", allow: ["loopback", [10, 44, 0, 0, 24]] },
      // Recorded for the monitoring service (hostkit dump shows it); HostKit itself runs no check.
      monitor: { systemd: { expect: { state: "active" } }, http: { url: "http://127.0.0.1:3000/health", expect: { status: 200 } }, severity: "critical" },
    });
    // Other declarations reuse a listener's address instead of repeating the port.
    s.file("/etc/toys/api/upstream.conf", { content: `upstream api { server ${s.listenerAddress("http")}; }\n` });
  });

  p.service("gateway", (s) => {
    s.account({ system: true });
    s.daemon({
      exec: ["/opt/toys/gateway/bin/gateway"],
      listen: { https: { port: 8443, on: "any" } },
      // Plain strings work too: IPs, CIDRs, IPv6.
      networkPolicy: { deny: "any", allow: ["loopback", "192.168.10.0/24", "fd00::/8", "10.44.0.1"] },
      isolate: { profile: "strict_app", network: "any" },
    });
  });
});
