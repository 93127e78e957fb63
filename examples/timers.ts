// Timers: a systemd timer and the oneshot service it starts, sandboxed like a daemon.
import { project } from "hostkit";

export default project("toys", (p) => {
  p.roots({ data: "/srv/toys", config: "/etc/toys" });
  p.prefixes({ user: "toys-", unit: "toys-" });

  p.service("backup", (s) => {
    s.account({ system: true });
    s.storage("repo", { under: "data", path: "repo", mode: 0o700, backup: false });
    s.env("restic", { set: { RESTIC_REPOSITORY: "/srv/toys/backup/repo" }, secret: { RESTIC_PASSWORD: { env: "RESTIC_PASSWORD" } } });

    // toys-backup-nightly.timer → toys-backup-nightly.service
    s.timer("nightly", {
      description: "Nightly backup of /srv/toys",
      onCalendar: "*-*-* 03:15:00",
      randomizedDelaySec: "10m",
      persistent: true,
      exec: ["/usr/bin/restic", "backup", "--one-file-system", "/srv/toys"],
      env: ["restic"],
      isolate: { profile: "strict_app", writable: ["repo"], network: "none" },
    });
    s.timer("prune", {
      onBootSec: "15min",
      onUnitActiveSec: "1d",
      exec: ["/usr/bin/restic", "forget", "--keep-daily", "7", "--prune"],
      user: s.serviceUser(),
      env: ["restic"],
      isolate: { profile: "strict_app", writable: ["repo"] },
    });
  });

  // A project-level timer runs as root: toys-tmp-clean.timer.
  p.timer("tmp-clean", { onCalendar: "weekly", exec: ["/usr/bin/find", "/var/tmp/toys", "-mindepth", "1", "-mtime", "+7", "-delete"] });
});
