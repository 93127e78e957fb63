// Log management intent (the seed's "Log management intent"): journald identifiers and outputs.
import { project } from "hostkit";

export default project("toys", (p) => {
  p.prefixes({ user: "toys-", unit: "toys-" });

  p.service("forgejo", (s) => {
    s.daemon({
      name: s.unitName(),
      run: { execStart: ["/usr/bin/env", "true"] },
      type: "oneshot",
      logs: { identifier: s.name, stdout: "journal", stderr: "journal" },
    });
  });

  p.service("relay", (s) => {
    s.account({ system: true });
    s.daemon({
      exec: ["/opt/toys/relay/bin/relay", "--quiet"],
      type: "notify",
      // Drop chatty stdout, keep errors; kernel log and inherit are the other choices.
      logs: { identifier: "toys-relay", stdout: "null", stderr: "journal" },
    });
  });

  p.service("early", (s) => {
    s.daemon({
      exec: ["/opt/toys/early/bin/early"],
      type: "simple",
      logs: { identifier: "toys-early", stdout: "kmsg", stderr: "inherit" },
      // Declared but not enabled at boot nor kept running: started by hand.
      enable: false,
      start: false,
    });
  });
});
