/** Declarations → resources: naming, defaults, ordering, and the unit directives each option becomes. */
import { describe, expect, test } from "bun:test";
import { compile, type CompiledProject } from "../../src/compile/index.ts";
import { project, Resources, Sandbox, Storage, type ProjectScope } from "../../src/dsl/index.ts";
import { HostKitError } from "../../src/model/errors.ts";
import type { Resource, SystemdService } from "../../src/model/resource.ts";
import { renderResource } from "../../src/render/index.ts";

const build = (cb: (p: ProjectScope) => void): CompiledProject => compile(project("toys", cb));
const find = (c: CompiledProject, key: string): Resource => {
  const r = c.resources.find((x) => `${x.type}:${x.id}` === key);
  if (!r) throw new Error(`no ${key} in ${c.resources.map((x) => `${x.type}:${x.id}`).join(", ")}`);
  return r;
};
const unit = (c: CompiledProject, key: string) => renderResource(find(c, key))!;
/** The `Directive=value` lines of one section of a rendered unit. */
const section = (text: string, name: string) => text.split(`[${name}]\n`)[1]?.split("\n\n")[0]?.trimEnd().split("\n") ?? [];
const base = (p: ProjectScope) => {
  p.roots({ source: "/opt/toys/src", data: "/srv/toys", state: "/var/lib/toys", config: "/etc/toys" });
  p.prefixes({ user: "toys-", unit: "toys-" });
};

describe("naming", () => {
  test("roots and prefixes name accounts, storage, env files and units", () => {
    const c = build((p) => {
      base(p);
      p.service("web", (s) => {
        s.account({ system: true });
        s.storage("data");
        s.storage("repos", { under: "data", path: "git/repos" });
        s.env("runtime", { set: { PORT: 4000 } });
        s.daemon({ exec: ["/opt/web/bin/server"], env: ["runtime"] });
        s.timer("backup", { onCalendar: "daily", exec: ["/usr/local/bin/backup"] });
      });
      p.timer("cleanup", { onCalendar: "weekly", exec: ["/usr/bin/true"] });
    });
    // Declaration order (project items, then each service's), dependencies first.
    expect(c.resources.map((r) => `${r.type}:${r.id}`)).toEqual([
      "systemd_service:toys-cleanup.service",
      "systemd_timer:toys-cleanup.timer",
      "account:toys-web",
      "directory:/srv/toys/web",
      "directory:/srv/toys/web/git/repos",
      "env_file:/etc/toys/web/runtime.env",
      "systemd_service:toys-web.service",
      "systemd_service:toys-web-backup.service",
      "systemd_timer:toys-web-backup.timer",
    ]);
    expect(find(c, "systemd_timer:toys-web-backup.timer").requires).toEqual(["systemd_service:toys-web-backup.service"]);
    expect(find(c, "directory:/srv/toys/web/git/repos").requires).toEqual(["directory:/srv/toys/web", "account:toys-web"]);
  });

  test("scope helpers return the same names", () => {
    const seen: Record<string, unknown> = {};
    build((p) => {
      base(p);
      p.service("exograph", (s) => {
        s.storage("data");
        s.storage("state", { writable: false });
        s.storage("cache", { under: "state", path: "cache" });
        Object.assign(seen, { name: s.name, source: s.rootPath("source"), user: s.serviceUser(), unit: s.unitName(), writable: s.writableStoragePaths() });
      });
    });
    expect(seen).toEqual({
      name: "exograph",
      source: "/opt/toys/src/exograph",
      user: "toys-exograph",
      unit: "toys-exograph.service",
      writable: ["/srv/toys/exograph", "/var/lib/toys/exograph/cache"],
    });
  });

  test("a daemon may name its unit", () => {
    const c = build((p) => p.service("web", (s) => s.daemon({ name: "web-frontend.service", exec: ["/usr/bin/true"] })));
    expect(find(c, "systemd_service:web-frontend.service").type).toBe("systemd_service");
  });

  test("directories come before the files in them, parents before children, owners before what they own, whatever the declaration order", () => {
    const c = build((p) => {
      p.file("/srv/app/config/app.conf", { content: "x\n", owner: "app" });
      p.directory("/srv/app/config");
      p.directory("/srv/app");
      p.package("caddy");
      p.account("app", { system: true });
      p.command("seed", { exec: ["/usr/bin/true"] });
    });
    expect(c.resources.map((r) => `${r.type}:${r.id}`)).toEqual(["directory:/srv/app", "directory:/srv/app/config", "package:caddy", "account:app", "file:/srv/app/config/app.conf", "command:seed"]);
    expect(find(c, "file:/srv/app/config/app.conf").requires).toEqual(["directory:/srv/app/config", "account:app"]);
  });

  test("a service's resources come after the packages it declares", () => {
    const c = build((p) => {
      p.service("web", (s) => {
        s.daemon({ exec: ["/usr/bin/caddy", "run"] });
        s.package("caddy");
      });
    });
    expect(c.resources.map((r) => `${r.type}:${r.id}`)).toEqual(["package:caddy", "systemd_service:web.service"]);
  });
});

describe("defaults", () => {
  test("service directories belong to the service account; project ones to root", () => {
    const c = build((p) => {
      base(p);
      p.directory("/srv/shared");
      p.service("web", (s) => {
        s.account({ system: true });
        s.storage("data", { mode: 0o750 });
        s.directory("/srv/toys/web/tmp");
      });
      p.service("noacct", (s) => s.storage("data"));
    });
    expect(find(c, "directory:/srv/shared")).toMatchObject({ owner: "root", group: "root", mode: 0o755, rollback: "keep" });
    expect(find(c, "directory:/srv/toys/web")).toMatchObject({ owner: "toys-web", group: "toys-web", mode: 0o750 });
    expect(find(c, "directory:/srv/toys/web/tmp")).toMatchObject({ owner: "toys-web" });
    expect(find(c, "directory:/srv/toys/noacct")).toMatchObject({ owner: "root" });
  });

  test("secret storage defaults to 0750; env files to 0600 root; files to 0644 deleted on rollback", () => {
    const c = build((p) => {
      base(p);
      p.file("/etc/motd", { content: "hi\n" });
      p.service("web", (s) => {
        s.storage("config", { under: "config", secret: true, writable: false });
        s.env("runtime", { secret: { KEY: { env: "KEY" } } });
      });
    });
    expect(find(c, "directory:/etc/toys/web")).toMatchObject({ mode: 0o750 });
    expect(find(c, "env_file:/etc/toys/web/runtime.env")).toMatchObject({ mode: 0o600, owner: "root", secret: { KEY: { $secret: { env: "KEY" } } } });
    expect(find(c, "file:/etc/motd")).toMatchObject({ mode: 0o644, owner: "root", rollback: "delete" });
  });

  test("accounts are kept by down plans; system accounts get nologin", () => {
    const c = build((p) => p.account("app", { system: true }));
    expect(find(c, "account:app")).toMatchObject({ system: true, shell: "/usr/sbin/nologin", rollback: "keep", groups: [] });
  });

  test("commands run before start, when the service changes, as the service account; down defaults to irreversible", () => {
    const c = build((p) => {
      base(p);
      p.service("app", (s) => {
        s.account({ system: true });
        s.command("migrate", { exec: ["bin/app", "eval", "App.Release.migrate()"] });
      });
    });
    expect(find(c, "command:migrate")).toMatchObject({ phase: "before_start", when: "changed", down: "irreversible", user: "toys-app", env: [] });
  });

  test("a daemon is Type=exec, enabled for multi-user.target, running as its account", () => {
    const c = build((p) => {
      base(p);
      p.service("web", (s) => {
        s.account({ system: true });
        s.daemon({ exec: ["/opt/web/bin/server"] });
      });
    });
    const text = unit(c, "systemd_service:toys-web.service");
    expect(section(text, "Unit")).toEqual(["Description=web (managed by HostKit)", "X-HostKit-Project=toys", "X-HostKit-Service=web"]);
    expect(section(text, "Service")).toEqual(["Type=exec", "User=toys-web", "ExecStart=/opt/web/bin/server"]);
    expect(section(text, "Install")).toEqual(["WantedBy=multi-user.target"]);
    expect(find(c, "systemd_service:toys-web.service")).toMatchObject({ enable: true, start: true, rollback: "delete" });
  });

  test("enable: false leaves out [Install]; no account leaves out User=", () => {
    const c = build((p) => p.service("web", (s) => s.daemon({ exec: ["/usr/bin/true"], enable: false, start: false })));
    const text = unit(c, "systemd_service:web.service");
    expect(text).not.toContain("[Install]");
    expect(text).not.toContain("User=");
    expect(find(c, "systemd_service:web.service")).toMatchObject({ enable: false, start: false });
  });
});

describe("daemon options → directives", () => {
  test("the seed's network policy", () => {
    const c = build((p) => p.service("api", (s) => s.daemon({ exec: ["/usr/bin/true"], networkPolicy: { deny: "all", allow: ["loopback", [10, 44, 0, 0, 24]] } })));
    expect(section(unit(c, "systemd_service:api.service"), "Service").slice(-3)).toEqual([
      "IPAddressDeny=any",
      "IPAddressAllow=localhost 10.44.0.0/24",
      "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    ]);
  });

  test("isolate network modes", () => {
    const c = build((p) => {
      p.service("a", (s) => s.daemon({ exec: ["/usr/bin/true"], isolate: { network: "none" } }));
      p.service("b", (s) => s.daemon({ exec: ["/usr/bin/true"], isolate: { network: "any" } }));
    });
    expect(unit(c, "systemd_service:a.service")).toContain("PrivateNetwork=yes\n");
    expect(unit(c, "systemd_service:b.service")).not.toMatch(/IPAddress|PrivateNetwork/);
  });

  test("isolate without a profile: read-only system, writable storage and absolute paths", () => {
    const c = build((p) => {
      base(p);
      p.service("api", (s) => {
        s.storage("data");
        s.daemon({ exec: ["/usr/bin/true"], isolate: { memoryMax: "512M", writable: ["data", "/run/api"], network: "loopback" } });
      });
    });
    const svc = section(unit(c, "systemd_service:toys-api.service"), "Service");
    for (const line of ["NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "MemoryMax=512M", "ReadWritePaths=/srv/toys/api /run/api", "IPAddressAllow=localhost"]) {
      expect(svc).toContain(line);
    }
  });

  test("profiles with overrides; SystemCallFilter's deny list is its own line", () => {
    const c = build((p) => {
      p.service("jobs", (s) => s.daemon({ exec: ["/usr/bin/true"], isolate: { profile: "untrusted", memoryMax: "256M", privateNetwork: false } }));
    });
    const svc = section(unit(c, "systemd_service:jobs.service"), "Service");
    expect(svc).toContain("MemoryMax=256M");
    expect(svc).toContain("PrivateNetwork=no");
    expect(svc).toContain("RestrictAddressFamilies=AF_UNIX");
    expect(svc.filter((l) => l.startsWith("SystemCallFilter="))).toEqual([
      "SystemCallFilter=@system-service",
      "SystemCallFilter=~@privileged @resources @mount @debug @cpu-emulation @obsolete @raw-io @reboot @swap",
    ]);
  });

  test("resources: a profile, a profile with overrides, explicit limits", () => {
    const c = build((p) => {
      p.service("a", (s) => s.daemon({ exec: ["/usr/bin/true"], resources: "small" }));
      p.service("b", (s) => s.daemon({ exec: ["/usr/bin/true"], resources: { profile: "large", memoryMax: "6G" } }));
      p.service("c", (s) => s.daemon({ exec: ["/usr/bin/true"], resources: Resources.new({ cpuQuota: "25%", limitNofile: 4096 }) }));
    });
    expect(section(unit(c, "systemd_service:a.service"), "Service").slice(-3)).toEqual(["MemoryMax=256M", "CPUQuota=50%", "TasksMax=128"]);
    expect(section(unit(c, "systemd_service:b.service"), "Service")).toContain("MemoryMax=6G");
    expect(section(unit(c, "systemd_service:c.service"), "Service").slice(-2)).toEqual(["CPUQuota=25%", "LimitNOFILE=4096"]);
  });

  test("logs, ordering, dependencies, environment, restart", () => {
    const c = build((p) =>
      p.service("web", (s) => {
        s.daemon({
          description: "Web at 100%",
          afterTarget: ["network_online", "time_sync"],
          after: "postgresql.service",
          wants: "network_online",
          requires: ["postgresql.service"],
          exec: ["/usr/bin/true"],
          environment: { GREETING: "hi $USER", LANG: "C.UTF-8" },
          restart: "on_abnormal",
          restartSec: 2.5,
          logs: { identifier: "web", stdout: "null", stderr: "journal" },
          wantedBy: "default.target",
        });
      }),
    );
    const text = unit(c, "systemd_service:web.service");
    expect(section(text, "Unit").slice(0, 5)).toEqual([
      "Description=Web at 100%%",
      "After=network-online.target",
      "After=time-sync.target",
      "After=postgresql.service",
      "Wants=network-online.target",
    ]);
    expect(section(text, "Unit")).toContain("Requires=postgresql.service");
    const svc = section(text, "Service");
    for (const line of ['Environment="GREETING=hi $USER"', "Environment=LANG=C.UTF-8", "Restart=on-abnormal", "RestartSec=2.5", "SyslogIdentifier=web", "StandardOutput=null", "StandardError=journal"]) {
      expect(svc).toContain(line);
    }
    expect(section(text, "Install")).toEqual(["WantedBy=default.target"]);
  });

  test("env attachments become EnvironmentFile= and restart the unit when they change", () => {
    const c = build((p) => {
      base(p);
      p.service("web", (s) => {
        s.env("runtime", { set: { PORT: 4000 } });
        const shared = s.envFile("/etc/shared.env", { set: { TZ: "UTC" } });
        s.daemon({ exec: ["/usr/bin/true"], env: ["runtime", shared] });
      });
    });
    const svc = find(c, "systemd_service:toys-web.service") as SystemdService;
    expect(svc.restartOn).toEqual(["env_file:/etc/toys/web/runtime.env", "env_file:/etc/shared.env"]);
    expect(section(renderResource(svc)!, "Service").filter((l) => l.startsWith("EnvironmentFile="))).toEqual(["EnvironmentFile=/etc/toys/web/runtime.env", "EnvironmentFile=/etc/shared.env"]);
  });

  test("listeners are recorded with normalized addresses and reachable through listenerAddress", () => {
    let upstream = "";
    const c = build((p) =>
      p.service("api", (s) => {
        s.daemon({ exec: ["/usr/bin/true"], listen: { http: { port: 3000 }, admin: { port: 4000, on: [10, 44, 0, 5] }, pub: { port: 443, on: "any" } } });
        upstream = `${s.listenerAddress("http")} ${s.listenerAddress("admin")} ${s.listenerAddress("pub")}`;
      }),
    );
    expect((find(c, "systemd_service:api.service") as SystemdService).listeners).toEqual([
      { name: "http", port: 3000, on: "loopback" },
      { name: "admin", port: 4000, on: "10.44.0.5" },
      { name: "pub", port: 443, on: "any" },
    ]);
    expect(upstream).toBe("127.0.0.1:3000 10.44.0.5:4000 127.0.0.1:443");
  });

  test("run: user, group, execStart and extra writable paths", () => {
    const c = build((p) => p.service("forgejo", (s) => s.daemon({ run: { user: "git", group: "git", execStart: ["/usr/bin/forgejo", "web"], readWritePaths: ["/srv/git", "/srv/my repos"] } })));
    const svc = section(unit(c, "systemd_service:forgejo.service"), "Service");
    expect(svc).toEqual(["Type=exec", "User=git", "Group=git", "ExecStart=/usr/bin/forgejo web", 'ReadWritePaths=/srv/git "/srv/my repos"']);
  });
});

describe("timers", () => {
  test("a timer and its oneshot job, sandboxed like a daemon", () => {
    const c = build((p) => {
      base(p);
      p.service("backup", (s) => {
        s.account({ system: true });
        s.storage("data");
        s.timer("nightly", { onCalendar: "daily", persistent: true, randomizedDelaySec: "10m", exec: ["/usr/bin/restic", "backup"], isolate: { profile: "strict_app", writable: ["data"], network: "none" } });
      });
    });
    const timer = unit(c, "systemd_timer:toys-backup-nightly.timer");
    expect(section(timer, "Timer")).toEqual(["OnCalendar=daily", "RandomizedDelaySec=10m", "Persistent=true", "Unit=toys-backup-nightly.service"]);
    expect(section(timer, "Install")).toEqual(["WantedBy=timers.target"]);
    const job = section(unit(c, "systemd_service:toys-backup-nightly.service"), "Service");
    expect(job.slice(0, 3)).toEqual(["Type=oneshot", "User=toys-backup", "ExecStart=/usr/bin/restic backup"]);
    expect(job).toContain("ReadWritePaths=/srv/toys/backup");
    expect(job).toContain("PrivateNetwork=yes");
    expect(find(c, "systemd_service:toys-backup-nightly.service")).toMatchObject({ enable: false, start: false });
  });
});

describe("Storage and Sandbox helpers", () => {
  test("Storage.volume → directory declaration and writable paths", () => {
    const repos = Storage.volume("repos", { path: "/srv/git/repos", owner: "git", mode: "group_dir", backup: true });
    const certs = Storage.volume("certs", { path: "/srv/git/certs", writable: false });
    expect(Storage.directory(repos)).toEqual(["/srv/git/repos", { mode: "group_dir", owner: "git" }]);
    expect(Storage.readWritePaths([repos, certs])).toEqual(["/srv/git/repos"]);
    const c = build((p) => p.directory(...Storage.directory(repos)));
    expect(find(c, "directory:/srv/git/repos")).toMatchObject({ mode: 0o750, owner: "git", group: "git" });
  });

  test("Sandbox.new merges overrides over a profile; toSystemdServiceOptions is stable", () => {
    const sb = Sandbox.new("strict_web", { memoryMax: "512M", protectHome: "read-only" });
    expect(sb.protectHome).toBe("read-only");
    const opts = Sandbox.toSystemdServiceOptions(sb);
    expect(opts[0]).toEqual(["NoNewPrivileges", "yes"]);
    expect(opts).toContainEqual(["MemoryMax", "512M"]);
    expect(Sandbox.toSystemdServiceOptions(Sandbox.new("strict_web", { memoryMax: "512M", protectHome: "read-only" }))).toEqual(opts);
  });
});

describe("compile-time diagnostics", () => {
  const diag = (cb: (p: ProjectScope) => void) => {
    try {
      build(cb);
    } catch (e) {
      expect(e).toBeInstanceOf(HostKitError);
      return (e as HostKitError).message;
    }
    throw new Error("expected a diagnostic");
  };

  test("a declaration after its container returned", () => {
    let later: ProjectScope | undefined;
    build((p) => {
      later = p;
    });
    expect(() => later!.directory("/srv/x")).toThrow(/declared after its container's callback returned/);
  });

  test("an account name longer than 32 characters", () => {
    expect(diag((p) => p.service("a-really-long-service-name-for-this", (s) => s.account()))).toMatch(/account name "a-really-long-service-name-for-this" \(user prefix \+ service name\) is longer than 32/);
  });

  test("a relative program with a slash, and a program starting with a systemd prefix", () => {
    expect(diag((p) => p.service("web", (s) => s.daemon({ exec: ["bin/server"] })))).toMatch(/exec\[0\]: program "bin\/server" must be an absolute path or a bare command name/);
    expect(diag((p) => p.timer("t", { onCalendar: "daily", exec: ["-/bin/true"] }))).toMatch(/timer "t" › exec\[0\]: program "-\/bin\/true" must not start with a systemd prefix/);
  });

  test("a timer without a schedule, a timer schedule with a line break", () => {
    expect(diag((p) => p.timer("t", { exec: ["/bin/true"] }))).toMatch(/needs a schedule/);
    expect(diag((p) => p.timer("t", { onCalendar: "daily\nOnBootSec=1", exec: ["/bin/true"] }))).toMatch(/timer "t" › onCalendar: contains "\\n", which is not part of a calendar spec/);
  });

  test("an env secret also given in set", () => {
    expect(diag((p) => p.envFile("/etc/x.env", { set: { KEY: "a" }, secret: { KEY: { env: "KEY" } } }))).toMatch(/secret\.KEY: also given in `set`/);
  });
});
