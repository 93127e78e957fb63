// The seed's integration_hosts example: the hosts a real remote validation runs against, declared as
// ordinary HostKit config and selected with --host. The integration tests read them too:
//
//   HOSTKIT_REMOTE_HOSTS=203.0.113.10,203.0.113.11:2222 HOSTKIT_SSH_PASSWORD='...' \
//   HOSTKIT_INTEGRATION_TOOL=remote HOSTKIT_INTEGRATION_CONFIG=examples/integration-hosts.ts \
//   bun test --timeout 180000 test/integration
//
//   hostkit plan examples/integration-hosts.ts --host prod      (HOSTKIT_SSH_PASSWORD must be set)
//
// Each address in HOSTKIT_REMOTE_HOSTS (HOST or HOST:PORT; default host.example) becomes a host: prod,
// prod2, prod3… The tests log in with the key (HOSTKIT_REMOTE_IDENTITY_FILE, default ~/.ssh/id_ed25519)
// as root (HOSTKIT_REMOTE_USER) and leave nothing behind.
import { project, secretEnv } from "hostkit";

const addresses = (process.env.HOSTKIT_REMOTE_HOSTS ?? "host.example").split(",").map((a) => a.trim()).filter(Boolean);

export default project("infra", (p) => {
  addresses.forEach((address, i) => {
    const [at, port] = address.includes(":") ? [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))] : [address, 22];
    p.host(i === 0 ? "prod" : `prod${i + 1}`, {
      at,
      ssh: {
        user: process.env.HOSTKIT_REMOTE_USER ?? "root",
        port,
        identityFile: process.env.HOSTKIT_REMOTE_IDENTITY_FILE ?? "~/.ssh/id_ed25519",
        password: secretEnv("HOSTKIT_SSH_PASSWORD"),
        acceptHosts: true,
        retry: { attempts: 3, baseDelay: 250, maxDelay: 2000 },
      },
    });
  });

  // Something to plan: a smoke check that reads the host without changing anything it already has.
  p.directory("/var/lib/hostkit-smoke", { mode: 0o755 });
});
