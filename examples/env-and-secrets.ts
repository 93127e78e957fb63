// Env files and secrets (the seed's "Env files and secrets" and remote-host examples). Secret values
// are read from the controller's environment only at apply time; dumps and plans keep references.
import { project, secretEnv } from "hostkit";

export default project("shop", (p) => {
  p.roots({ source: "/opt/shop/src", config: "/etc/shop" });
  p.prefixes({ user: "shop-", unit: "shop-" });

  // HostKit's own credentials: the SSH password is a reference, resolved when connecting.
  p.host("prod", {
    at: "host.example",
    ssh: {
      user: "root",
      port: 22,
      identityFile: "~/.ssh/id_ed25519",
      password: secretEnv("HOSTKIT_SSH_PASSWORD"),
      acceptHosts: true,
      knownHostsFile: "~/.ssh/known_hosts",
      retry: { attempts: 3, baseDelay: 250, maxDelay: 2000 },
    },
  });
  // `retry: 3` is shorthand for three attempts; `retry: false` disables retries.
  p.host("staging", { at: "10.44.0.12", ssh: { user: "deploy", sudo: true, retry: 3 } });
  p.host("lab", { at: "lab.internal", ssh: { user: "deploy", retry: false } });

  p.file("/etc/shop/maintenance.txt", { content: "off\n" });

  p.service("web", (s) => {
    s.account({ system: true });
    // /etc/shop/web/runtime.env, attached to the daemon below by its name.
    s.env("runtime", {
      set: { MIX_ENV: "prod", PORT: 4000, PHX_SERVER: true },
      secret: { SECRET_KEY_BASE: { env: "SECRET_KEY_BASE" }, DATABASE_URL: secretEnv("DATABASE_URL") },
      mode: "secret_group_file",
      owner: "root",
      group: s.serviceUser(),
    });
    // An env file at an explicit path, for when the convention does not fit.
    const shared = s.envFile("/etc/shop/shared.env", { set: { LANG: "C.UTF-8", TZ: "UTC" } });
    // One the deploy user keeps in its own directory: root writes there only because it opts in.
    // Declared in the service, so a change restarts its daemon; `notify: false`: this one changes nothing it reads at runtime.
    s.envFile("/home/deploy/shop/deploy.env", { set: { RELEASE_CHANNEL: "stable" }, owner: "root", unsafeParents: true, notify: false });
    // A config file of the service: a change reloads the daemon instead of restarting it.
    s.file("/etc/shop/web/tls.conf", { content: "protocols = TLSv1.3\n", notify: "reload" });

    s.daemon({
      description: "Shop web server",
      exec: ["/opt/shop/src/web/bin/server", "start"],
      // How it re-reads tls.conf without a restart (its `notify: "reload"` above needs this).
      execReload: ["/bin/sh", "-c", 'kill -HUP "$MAINPID"'],
      workingDirectory: s.rootPath("source"),
      env: ["runtime", shared],
      // Inline, non-secret values; quoted for systemd exactly (spaces, `$`, `%` are safe).
      environment: { ERL_FLAGS: "+sbwt none -kernel shell_history enabled", RELEASE_TMP: "/tmp/$release" },
      restart: "always",
      restartSec: 5,
      // Any other declared resource whose change restarts it (its own files and env files already do).
      restartOn: ["file:/etc/shop/maintenance.txt"],
    });
  });
});
