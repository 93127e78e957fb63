// An Incus container managed by HostKit, and what runs inside it, in one plan and one apply
// (README "Instances"). The instance is planned on this machine (one `incus query`), the host
// inside it through its exposed SSH port. End to end:
//
//   ssh-keygen -q -t ed25519 -N '' -f /tmp/demo-key
//   HOSTKIT_INSTANCE_KEY=/tmp/demo-key HOSTKIT_INSTANCE_IMAGE=<an image alias> \
//     hostkit apply examples/instances.ts --instance demo_vm --confirm --track
//   curl http://127.0.0.1:18080/          # the guest's daemon answers
//   hostkit ssh examples/instances.ts demo_vm
//   hostkit down examples/instances.ts --instance demo_vm --last --out down.plan.json
//   hostkit apply --plan down.plan.json --instance demo_vm --confirm    # deletes it
import { project, incus } from "hostkit";

// The public half (`<key>.pub`) is pushed into the guest's authorized_keys through Incus; the
// committed examples/files/instance_key.pub only lets this file load without a key of yours.
const key = process.env.HOSTKIT_INSTANCE_KEY ?? "examples/files/instance_key";

export default project("demo", (p) => {
  p.instance(
    "demo_vm", // Incus name: demo-vm ('_' is not allowed there)
    {
      backend: incus({ sudo: true, project: "default", profiles: ["default"] }),
      image: process.env.HOSTKIT_INSTANCE_IMAGE ?? "images:debian/12",
      kind: "container",
      lifecycle: "persistent",
      expose: { ssh: { host: 2222, guest: 22 }, web: { host: 18080, guest: 80 } },
      config: { "limits.memory": "512MiB" },
      waitSeconds: 60,
    },
    (i) => {
      i.host("guest", { at: "127.0.0.1", ssh: { user: "root", port: 2222, identityFile: key, acceptHosts: true, knownHostsFile: ".hostkit/known_hosts" } });
      i.file("/srv/web/index.html", { content: "hello from demo_vm\n" });
      i.service("web", (s) => {
        s.daemon({ exec: ["/usr/bin/python3", "-m", "http.server", "80", "--directory", "/srv/web"] });
      });
    },
  );
});
