// Plain files and directories with rollback policies (the seed's "Plans and down plans"). File-like
// resources are deleted by a down plan; directories, accounts and packages are kept unless opted in.
import { project } from "hostkit";

export default project("gatehouse", (p) => {
  // Where tracked applies keep run records and backup payloads (relative to this file).
  p.runs({ root: ".hostkit/runs", backups: ".hostkit/hostkit_backups" });

  p.account("gh-relay", { system: true, rollback: "keep", home: "/var/lib/gatehouse", shell: "/usr/sbin/nologin", groups: ["systemd-journal"] });
  p.account("app", { system: true, group: "gh-relay", rollback: "keep" });
  p.package("caddy", { rollback: "keep" });
  p.package("build_essential", { as: "build-essential", manager: "apt", update: true });

  p.directory("/tmp/demo", { rollback: "delete_if_created" });
  p.directory("/srv/app", { rollback: "keep", owner: "app" });
  p.file("/etc/gatehouse/config.exs", { content: "import Config\n", mode: 0o640, owner: "root", group: "gh-relay" });
  // Content from a local file, read when the infra file loads (path relative to this file).
  p.file("/etc/gatehouse/runtime.exs", { source: "./files/runtime.exs", mode: 0o640, group: "gh-relay", rollback: "keep" });
  // Bytes that are not UTF-8 are kept as base64 in dumps and plans.
  p.file("/srv/app/favicon.ico", { content: new Uint8Array([0, 0, 1, 0, 1, 0, 16, 16, 0xff]), owner: "app", rollback: "delete" });
  // Root-owned paths below /srv/app, which "app" owns: on a live host HostKit refuses to write as root
  // beneath a directory another user owns (that user could swap a subdirectory for a link to /etc)
  // unless the declaration says that user is trusted.
  p.directory("/srv/app/static", { owner: "root", unsafeParents: true });
  p.file("/srv/app/static/robots.txt", { content: "User-agent: *\nDisallow:\n", unsafeParents: true });
});
