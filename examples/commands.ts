// Commands with semantic down steps (the seed's "Plans and down plans"): HostKit cannot infer the
// opposite of an arbitrary command, so each command says what its down plan runs.
import { project } from "hostkit";

export default project("shop", (p) => {
  p.roots({ source: "/opt/shop/src", config: "/etc/shop" });
  p.prefixes({ user: "shop-", unit: "shop-" });

  p.service("app", (s) => {
    s.account({ system: true });
    s.env("runtime", { set: { MIX_ENV: "prod" }, secret: { DATABASE_URL: { env: "DATABASE_URL" } } });
    const release = s.rootPath("source");

    // Before the daemon (re)starts; a down plan runs the rollback.
    s.command("migrate", {
      exec: ["bin/app", "eval", "App.Release.migrate()"],
      phase: "before_start",
      down: ["bin/app", "eval", "App.Release.rollback()"],
      workingDirectory: release,
      env: ["runtime"],
    });
    // Nothing to undo: the down plan records a no-op.
    s.command("warm_cache", {
      exec: ["bin/app", "eval", "App.Cache.warm()"],
      phase: "after_start",
      down: "noop",
      workingDirectory: release,
      env: ["runtime"],
    });
    // Cannot be undone: the down plan omits it and shows a warning. Runs on every apply.
    s.command("reindex", {
      exec: ["bin/app", "eval", "App.Search.reindex_all()"],
      phase: "after_start",
      when: "always",
      down: "irreversible",
      user: s.serviceUser(),
      workingDirectory: release,
      env: ["runtime"],
    });

    s.daemon({
      exec: [`${release}/bin/app`, "start"],
      workingDirectory: release,
      env: ["runtime"],
      after: "postgresql.service",
      requires: ["postgresql.service"],
      restart: "on_failure",
    });
  });

  // A project-level command runs as root.
  p.command("refresh_ca_certificates", { exec: ["/usr/sbin/update-ca-certificates"], down: "noop" });
});
