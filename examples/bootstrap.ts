// Host bootstrap: OS packages by distribution-neutral name (resolved through Repology for each
// host's distribution, cached 24 h under .hostkit/cache/repology; pin the answers with
//   hostkit plan --write-package-lock hostkit.package.lock examples/bootstrap.ts
//   hostkit apply --package-lock hostkit.package.lock --confirm examples/bootstrap.ts
// ) and system-wide runtimes through mise. Missing packages are installed with ONE command per
// package manager; down plans keep packages unless `rollback: "delete"`.
import { project } from "hostkit";

export default project("bootstrap", (p) => {
  p.bootstrap((b) => {
    b.package("ca_certificates");
    b.package("curl");
    b.package("build_essential", { as: "build-essential", update: true });
    b.mise({ tools: { erlang: "29.0.2", elixir: "1.20.1" }, installUrl: "https://mise.run", dataDir: "/usr/local/share/mise" });
  });

  // Every login shell finds the system-wide tools (the one part of this file an offline --root applies).
  p.file("/etc/profile.d/mise.sh", { content: "export MISE_SYSTEM_DATA_DIR=/usr/local/share/mise\n", mode: 0o644 });

  // Only on this host: an exact version with a pinned manager, removed again by a down plan.
  p.host("builder", { at: "builder.example.net", ssh: { user: "deploy", sudo: true } }, (h) => {
    h.bootstrap((b) => {
      b.package("jq", { manager: "apt", version: "1.6-2.1+deb12u3", rollback: "delete" });
    });
  });

  // A service's own package is installed before the service's other resources.
  p.service("proxy", (s) => {
    s.package("caddy");
  });
});
