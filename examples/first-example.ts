// The seed's first example: one service with an account, two storage roots and a sandboxed daemon.
import { project } from "hostkit";

export default project("toys", (p) => {
  p.roots({ source: "/opt/toys/src", data: "/srv/toys", state: "/var/lib/toys", config: "/etc/toys" });
  p.prefixes({ user: "toys-", unit: "toys-" });

  p.host("elixir_toys", { at: "elixir.toys", ssh: { user: "dannote", sudo: true } });

  p.service("exograph", (s) => {
    s.account({ system: true });
    s.storage("data", { mode: 0o755 });
    s.storage("state", { mode: 0o750 });
    s.daemon({
      description: "Exograph search",
      afterTarget: "network_online",
      wants: "network_online",
      workingDirectory: s.rootPath("source"),
      exec: ["/usr/local/bin/mix", "exograph.index.hex", "--web", "--port", "4200"],
      restart: "on_failure",
      restartSec: 10,
      isolate: { writable: ["data", "state"], network: "loopback" },
    });
  });
});
