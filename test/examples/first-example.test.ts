/** The "Done when" for the seed's first example, through the real CLI. */
import { expect, test } from "bun:test";
import { hostkit } from "../helpers/cli.ts";

const FILE = "examples/first-example.ts";

test("dump --json lists the account, both storage directories owned by it, and the unit", async () => {
  const r = await hostkit(["dump", FILE, "--json"]);
  expect(r.code).toBe(0);
  const dump = JSON.parse(r.stdout) as { project: string; hosts: unknown[]; resources: Record<string, unknown>[] };
  expect(dump.project).toBe("toys");
  expect(dump.hosts).toEqual([{ name: "elixir_toys", source: { file: FILE, line: 8 }, at: "elixir.toys", ssh: { user: "dannote", sudo: true } }]);
  const byKey = new Map(dump.resources.map((x) => [x.key as string, x]));
  expect([...byKey.keys()]).toEqual(["account:toys-exograph", "directory:/srv/toys/exograph", "directory:/var/lib/toys/exograph", "systemd_service:toys-exograph.service"]);
  expect(byKey.get("account:toys-exograph")).toMatchObject({ type: "account", name: "toys-exograph", system: true, source: { file: FILE, line: 11 } });
  expect(byKey.get("directory:/srv/toys/exograph")).toMatchObject({ path: "/srv/toys/exograph", mode: 0o755, owner: "toys-exograph", group: "toys-exograph", source: { line: 12 } });
  expect(byKey.get("directory:/var/lib/toys/exograph")).toMatchObject({ path: "/var/lib/toys/exograph", mode: 0o750, owner: "toys-exograph", group: "toys-exograph", source: { line: 13 } });
  expect(byKey.get("systemd_service:toys-exograph.service")).toMatchObject({ name: "toys-exograph.service", enable: true, start: true, source: { line: 14 } });
});

test("dump prints modes in octal and owners in the text form", async () => {
  const r = await hostkit(["dump", FILE]);
  expect(r.stdout).toContain("directory:/srv/toys/exograph  0755 toys-exograph:toys-exograph");
  expect(r.stdout).toContain("directory:/var/lib/toys/exograph  0750 toys-exograph:toys-exograph");
  expect(r.stdout).toContain("account:toys-exograph  system");
});

test("render prints exactly the unit the issue describes", async () => {
  const r = await hostkit(["render", FILE, "systemd_service", "toys-exograph.service"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(
    [
      "# Managed by HostKit. Local edits are reported as drift and replaced on apply.",
      "[Unit]",
      "Description=Exograph search",
      "After=network-online.target",
      "Wants=network-online.target",
      "X-HostKit-Project=toys",
      "X-HostKit-Service=exograph",
      "",
      "[Service]",
      "Type=exec",
      "User=toys-exograph",
      "WorkingDirectory=/opt/toys/src/exograph",
      "ExecStart=/usr/local/bin/mix exograph.index.hex --web --port 4200",
      "Restart=on-failure",
      "RestartSec=10",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "ReadWritePaths=/srv/toys/exograph /var/lib/toys/exograph",
      "IPAddressDeny=any",
      "IPAddressAllow=localhost",
      "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
      "",
      "[Install]",
      "WantedBy=multi-user.target",
      "",
    ].join("\n"),
  );
});

test("render names the resources of the type when the id is wrong", async () => {
  const r = await hostkit(["render", FILE, "systemd_service", "exograph.service"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe("error: systemd_service:exograph.service: no such resource in this project\n  hint: systemd_service resources: systemd_service:toys-exograph.service\n");
});
