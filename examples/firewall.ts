// Firewall policy (the seed's "Firewall policy"; issue 14). One nftables file per host,
// /etc/nftables.d/hostkit.nft, that replaces only HostKit's own `table inet hostkit` (Docker's,
// Incus' and the distribution's tables are left alone). Loopback and replies to our own traffic
// are always accepted. `hostkit render examples/firewall.ts firewall /etc/nftables.d/hostkit.nft`
// prints it; `hostkit apply … --nft-reload` also loads it — over SSH with an automatic revert that
// only a NEW SSH connection under the new rules disarms. A ruleset that would drop the current SSH
// port is refused at plan time unless --allow-lockout.
import { project } from "hostkit";

export default project("edge", (p) => {
  p.firewall((f) => {
    f.allow({ tcp: 22, from: "any" });
    f.allow({ tcp: [80, 443], from: "any" });
    f.allow({ udp: 443, from: "any", comment: "HTTP/3" });
    f.allow({ tcp: 9100, from: [10, 44, 0, 0, 24] });
    f.allow({ tcp: "8000-8100", from: ["2001:db8::/32", "192.0.2.10"] });
    f.deny("all");
  });

  // This host's rules come after the project's; its own deny/allow("all") would override the default.
  p.host("edge-1", { at: "edge-1.example.net", ssh: { user: "root" } }, (h) => {
    h.firewall((f) => {
      f.allow({ udp: "60000-61000", comment: "mosh" });
      f.allow({ interface: "incusbr0", tcp: 53 });
      f.raw("ip saddr 198.51.100.7 counter drop");
    });
  });
});
