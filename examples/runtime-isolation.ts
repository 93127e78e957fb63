// Runtime isolation and sandbox profiles (the seed's "Runtime isolation" and "Workspace sandbox
// profiles"). `isolate` starts from a profile (vibe_dev, strict_app, untrusted, web_service,
// strict_web) and takes overrides; `resources` takes small/medium/large or explicit limits.
import { project, Resources, Sandbox } from "hostkit";

// The same profiles as plain data and systemd directives, for units HostKit does not own.
const caddyHardening = Sandbox.new("web_service", { protectSystem: "strict", readOnlyPaths: ["/etc/caddy"] });
const caddyLimits = Resources.new({ memoryMax: "512M", cpuQuota: "50%" });
const dropIn = (options: [string, string][]) => `[Service]\n${options.map(([k, v]) => `${k}=${v}`).join("\n")}\n`;

export default project("toys", (p) => {
  p.roots({ source: "/opt/toys/src", data: "/srv/toys", state: "/var/lib/toys" });
  p.prefixes({ user: "toys-", unit: "toys-" });

  // A developer workspace: read-only system, writable checkout, loopback only.
  p.service("preview", (s) => {
    s.account({ system: true });
    s.storage("data", { mode: "private_dir" });
    s.daemon({
      exec: ["mix", "phx.server"],
      workingDirectory: s.rootPath("data"),
      isolate: { profile: "vibe_dev", writable: [s.rootPath("data")], network: "loopback" },
      resources: "large",
    });
  });

  // An application that needs nothing beyond its own storage.
  p.service("api", (s) => {
    s.account({ system: true });
    s.storage("data", { mode: 0o750 });
    s.daemon({
      exec: ["/opt/toys/src/api/bin/server"],
      isolate: { profile: "strict_app", writable: ["data"], network: "loopback" },
      resources: "medium",
    });
  });

  // Code we do not trust: no network, small limits; overrides adjust the profile.
  p.service("jobs", (s) => {
    s.account({ system: true });
    s.storage("state", { mode: 0o700 });
    s.daemon({
      exec: ["/opt/toys/src/jobs/bin/run-queue"],
      isolate: { profile: "untrusted", memoryMax: "256M", writable: ["state"] },
      resources: "small",
    });
  });
  p.service("fetcher", (s) => {
    s.account({ system: true });
    s.daemon({
      exec: ["/opt/toys/src/fetcher/bin/fetch"],
      // Needs the network after all: keep everything else untrusted.
      isolate: { profile: "untrusted", privateNetwork: false, restrictAddressFamilies: ["AF_INET", "AF_INET6"], ipAddressDeny: [] },
      networkPolicy: { allow: ["any"] },
    });
  });

  // No profile: a read-only system plus what is listed (the seed's `isolate do … end`).
  p.service("search", (s) => {
    s.account({ system: true });
    s.storage("data", { mode: 0o750 });
    s.daemon({
      exec: ["/opt/toys/src/search/bin/search"],
      isolate: { memoryMax: "512M", writable: ["data"], network: "none" },
      resources: { profile: "medium", memoryHigh: "768M", limitNofile: 65536 },
      wantedBy: "default.target",
    });
  });

  // The helpers' output spread into a daemon, and written as a drop-in for the distro's caddy.service.
  p.service("proxy", (s) => {
    s.package("caddy");
    s.daemon({
      exec: ["/usr/bin/caddy", "run", "--config", "/etc/caddy/Caddyfile"],
      isolate: { ...Sandbox.new("strict_web"), capabilityBoundingSet: "CAP_NET_BIND_SERVICE", ambientCapabilities: "CAP_NET_BIND_SERVICE" },
      resources: Resources.new({ profile: "small", cpuWeight: 200 }),
    });
  });
  p.file("/etc/systemd/system/caddy.service.d/hostkit-hardening.conf", {
    content: dropIn([...Sandbox.toSystemdServiceOptions(caddyHardening), ...Resources.toSystemdServiceOptions(caddyLimits)]),
  });
});
