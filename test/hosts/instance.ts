// HostKit's own test hosts, declared as a HostKit instance (the project eats its own food):
// `test/hosts/incus.sh ensure|launch` builds the local image (a script step), then brings each test
// host up with
//
//   hostkit apply test/hosts/instance.ts --instance testhost --confirm
//
// one project per instance name (`testhost-<name>`), so launching one test host never prunes another.
// incus.sh passes the parameters through the environment; the defaults are ensure's.
import { project, incus } from "hostkit";

const env = (key: string, fallback: string): string => process.env[key] || fallback;
const name = env("HOSTKIT_TESTHOST_NAME", "hostkit-it");
const port = Number(env("HOSTKIT_TESTHOST_PORT", "2222"));
const work = env("HOSTKIT_TESTHOST_WORK", "/var/cache/hostkit-incus");

export default project(`testhost-${name}`, (p) => {
  p.instance(
    "testhost",
    {
      // The `hostkit` profile (root disk, bridge NIC) is made by incus.sh; the default profile is never touched.
      backend: incus({ profiles: ["hostkit"], sudo: env("HOSTKIT_TESTHOST_SUDO", "false") === "true" }),
      image: env("HOSTKIT_TESTHOST_IMAGE", "hostkit-bookworm"),
      name,
      kind: "container",
      lifecycle: "persistent",
      // Loopback only: tests reach the host as ssh root@127.0.0.1 -p PORT.
      expose: { ssh: { host: port, guest: 22 } },
      config: {
        // true: systemd's IPAddressDeny=/DevicePolicy= are enforced inside (needs a restart to change: incus.sh does it).
        "security.privileged": env("HOSTKIT_TESTHOST_PRIVILEGED", "false") === "true",
        // How `incus.sh list` and `teardown --all` find the test hosts.
        "user.testhost": "true",
      },
      waitSeconds: Number(env("HOSTKIT_TESTHOST_BOOT_TIMEOUT", "90")),
    },
    (i) => {
      // The image has no cloud-init: HostKit pushes `<identityFile>.pub` into root's authorized_keys through Incus.
      i.host("testhost_guest", {
        at: "127.0.0.1",
        ssh: { user: "root", port, identityFile: env("HOSTKIT_TESTHOST_KEY", `${work}/ssh/id_ed25519`), acceptHosts: true, knownHostsFile: `${work}/known_hosts/${name}` },
      });
      // Name resolution through the bridge's dnsmasq (apt inside the test hosts needs it).
      i.file("/etc/resolv.conf", { content: `nameserver ${env("HOSTKIT_TESTHOST_DNS", "10.123.45.1")}\n` });
    },
  );
});
