// Order comes from dependencies, not from where things are written: parents, owners and a service's
// packages come first by themselves; `dependsOn` adds what HostKit cannot see (a config file that a
// directory's contents are generated from, a migration that needs a file first).
import { project } from "hostkit";

export default project("deps", (p) => {
  p.roots({ data: "/srv/deps", config: "/etc/deps" });
  // Declared before its parent directory and its owner: still applied after both.
  p.file("/srv/deps/app/settings.toml", { content: "[app]\nport = 4000\n", owner: "deps-app", dependsOn: ["file:/etc/deps/release"] });
  p.directory("/srv/deps/app", { owner: "deps-app", dependsOn: ["account:deps-app"] });
  p.account("deps-app", { system: true });
  p.file("/etc/deps/release", { content: "2026.12.01\n" });
  p.service("app", (s) => {
    s.storage("data", { path: "files", dependsOn: ["file:/etc/deps/release"] });
    s.env("runtime", { set: { PORT: 4000 }, dependsOn: ["file:/etc/deps/release"] });
    s.command("migrate", { exec: ["/usr/bin/true"], down: "noop", dependsOn: ["file:/srv/deps/app/settings.toml"] });
    s.daemon({ exec: ["/usr/bin/sleep", "infinity"], dependsOn: ["file:/srv/deps/app/settings.toml"] });
    s.timer("vacuum", { onCalendar: "daily", exec: ["/usr/bin/true"], dependsOn: ["file:/srv/deps/app/settings.toml"] });
  });
});
