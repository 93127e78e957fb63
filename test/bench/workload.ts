/**
 * The bench workloads, as infra-file text (HostKit) and as an Ansible playbook, so both tools are given
 * exactly the same end state to reach:
 *
 * - `fixedWorkload`: 3 system users, 5 directories, 20 files (4 per directory) and 5 unit files,
 *   enabled and started (`/bin/sleep infinity`).
 * - `scaledWorkload(n)`: n resources for plan timings: 10 % directories, 80 % files, 10 % unit files
 *   (enabled, not started).
 *
 * Everything lives under names starting with `hkb` (users `hkb-…`, `/srv/hkbench…`, units `hkb-…`),
 * so `resetScript()` can put a host back to the state before either tool ran.
 */

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
}

export const FIXED = { users: 3, dirs: 5, filesPerDir: 4, units: 5 } as const;
export const BENCH_ROOT = "/srv/hkbench";

const q = (s: string) => JSON.stringify(s);

function hostDecl(t: SshTarget): string {
  return `p.host("bench", { at: ${q(t.host)}, ssh: { user: ${q(t.user)}, port: ${t.port}, identityFile: ${q(t.identityFile)}, acceptHosts: true, knownHostsFile: ${q(t.knownHostsFile)}, retry: false } });`;
}

export function fileContent(d: number, f: number): string {
  return `# hkbench file ${f} of directory ${d}\nkey_${d}_${f} = ${"x".repeat(40 + ((d * 7 + f * 13) % 60))}\n`;
}

export function unitName(i: number): string {
  return `hkb-svc${i}.service`;
}

/** The fixed workload as a HostKit infra file. */
export function fixedWorkload(t: SshTarget): string {
  const lines = [`import { project } from "hostkit";`, `export default project("hkbench", (p) => {`, `  ${hostDecl(t)}`, `  p.prefixes({ unit: "hkb-" });`];
  for (let u = 1; u <= FIXED.users; u++) lines.push(`  p.account("hkb-user${u}", { system: true });`);
  for (let d = 1; d <= FIXED.dirs; d++) {
    lines.push(`  p.directory("${BENCH_ROOT}/d${d}", { mode: 0o750, owner: "hkb-user${((d - 1) % FIXED.users) + 1}", group: "hkb-user${((d - 1) % FIXED.users) + 1}" });`);
    for (let f = 1; f <= FIXED.filesPerDir; f++) {
      // Owned by the directory's owner: root does not write into a directory another user owns (that
      // user could swap what lies below it for a link); the Ansible play below writes the same owners.
      lines.push(`  p.file("${BENCH_ROOT}/d${d}/f${f}.conf", { content: ${q(fileContent(d, f))}, mode: 0o640, owner: "hkb-user${((d - 1) % FIXED.users) + 1}" });`);
    }
  }
  for (let i = 1; i <= FIXED.units; i++) {
    lines.push(`  p.service("svc${i}", (s) => { s.daemon({ description: "hkbench ${i}", exec: ["/bin/sleep", "infinity"], restart: "on_failure" }); });`);
  }
  lines.push(`});`, ``);
  return lines.join("\n");
}

/** n resources (10 % directories, 80 % files, 10 % disabled unit files) as a HostKit infra file. */
export function scaledWorkload(t: SshTarget, n: number): string {
  const lines = [`import { project } from "hostkit";`, `export default project("hkscale", (p) => {`, `  ${hostDecl(t)}`, `  p.prefixes({ unit: "hkb-scale-" });`];
  const dirs = Math.max(1, Math.round(n / 10));
  const units = Math.round(n / 10);
  const files = n - dirs - units;
  for (let d = 0; d < dirs; d++) lines.push(`  p.directory("${BENCH_ROOT}-scale/d${d}", { mode: 0o755 });`);
  for (let f = 0; f < files; f++) {
    lines.push(`  p.file("${BENCH_ROOT}-scale/d${f % dirs}/f${f}.txt", { content: ${q(fileContent(f % dirs, f))}, mode: 0o644 });`);
  }
  for (let i = 0; i < units; i++) {
    lines.push(`  p.service("u${i}", (s) => { s.daemon({ exec: ["/bin/true"], type: "oneshot", start: false }); });`);
  }
  lines.push(`});`, ``);
  return lines.join("\n");
}

/** The fixed workload as an Ansible playbook (one task per resource type, looping over items, as usual). */
export function ansiblePlaybook(): string {
  const users = Array.from({ length: FIXED.users }, (_, i) => `hkb-user${i + 1}`);
  const dirs = Array.from({ length: FIXED.dirs }, (_, i) => ({ path: `${BENCH_ROOT}/d${i + 1}`, owner: users[i % FIXED.users]! }));
  const files: { path: string; content: string; owner: string }[] = [];
  for (let d = 1; d <= FIXED.dirs; d++) for (let f = 1; f <= FIXED.filesPerDir; f++) files.push({ path: `${BENCH_ROOT}/d${d}/f${f}.conf`, content: fileContent(d, f), owner: users[(d - 1) % FIXED.users]! });
  const units = Array.from({ length: FIXED.units }, (_, i) => ({ name: unitName(i + 1), content: ansibleUnit(i + 1) }));
  // JSON is YAML: no quoting rules to get wrong.
  const play = [
    {
      name: "hkbench fixed workload",
      hosts: "bench",
      gather_facts: false,
      tasks: [
        { name: "system users", "ansible.builtin.user": { name: "{{ item }}", system: true, create_home: false, shell: "/usr/sbin/nologin" }, loop: users },
        { name: "directories", "ansible.builtin.file": { path: "{{ item.path }}", state: "directory", mode: "0750", owner: "{{ item.owner }}", group: "{{ item.owner }}" }, loop: dirs },
        { name: "files", "ansible.builtin.copy": { dest: "{{ item.path }}", content: "{{ item.content }}", mode: "0640", owner: "{{ item.owner }}", group: "{{ item.owner }}" }, loop: files },
        { name: "unit files", "ansible.builtin.copy": { dest: "/etc/systemd/system/{{ item.name }}", content: "{{ item.content }}", mode: "0644", owner: "root", group: "root" }, loop: units, register: "unit_files" },
        { name: "daemon-reload", "ansible.builtin.systemd": { daemon_reload: true }, when: "unit_files.changed" },
        { name: "units enabled and started", "ansible.builtin.systemd": { name: "{{ item.name }}", enabled: true, state: "started" }, loop: units },
      ],
    },
  ];
  return `${JSON.stringify(play, null, 2)}\n`;
}

function ansibleUnit(i: number): string {
  return `[Unit]\nDescription=hkbench ${i}\n\n[Service]\nExecStart=/bin/sleep infinity\nRestart=on-failure\n\n[Install]\nWantedBy=multi-user.target\n`;
}

export function ansibleInventory(t: SshTarget): string {
  return [
    "[all]",
    `bench ansible_host=${t.host} ansible_port=${t.port} ansible_user=${t.user} ansible_ssh_private_key_file=${t.identityFile} ansible_python_interpreter=/usr/bin/python3`,
    "",
  ].join("\n");
}

/** Shell script (run as root on the host) that removes everything both workloads create. */
export function resetScript(): string {
  return `set -u
units=$(ls /etc/systemd/system | grep -E '^hkb-.*\\.service$' || true)
if [ -n "$units" ]; then systemctl disable --now $units >/dev/null 2>&1 || true; fi
for u in $units; do rm -f "/etc/systemd/system/$u"; done
systemctl daemon-reload
systemctl reset-failed 'hkb-*' >/dev/null 2>&1 || true
for u in $(getent passwd | cut -d: -f1 | grep -E '^hkb-' || true); do userdel "$u" >/dev/null 2>&1 || true; done
for g in $(getent group | cut -d: -f1 | grep -E '^hkb-' || true); do groupdel "$g" >/dev/null 2>&1 || true; done
rm -rf ${BENCH_ROOT} ${BENCH_ROOT}-scale
exit 0
`;
}
