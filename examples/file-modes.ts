// File modes (the seed's "File modes"): five ways to write a mode; the model stores the integer.
import { project } from "hostkit";

export default project("gatehouse", (p) => {
  p.account("gh-relay", { system: true });

  // 1. A number.
  p.directory("/srv/gatehouse", { mode: 0o750, owner: "root", group: "gh-relay" });
  // 2. An alias: secret_group_file is 0640.
  p.file("/etc/gatehouse/config.exs", { content: "import Config\n", mode: "secret_group_file", owner: "root", group: "gh-relay" });
  // 3. A triple [owner, group, other]: 0640.
  p.file("/etc/gatehouse/relay.exs", { content: "import Config\nconfig :relay, port: 4100\n", mode: ["rw", "r", null], group: "gh-relay" });
  // 4. A record; missing classes get nothing: 0640.
  p.file("/etc/gatehouse/peers.txt", { content: "10.44.0.2\n10.44.0.3\n", mode: { owner: "rw", group: "r" }, group: "gh-relay" });
  // 5. A capability list: 02775, a setgid shared directory.
  p.directory("/srv/gatehouse/shared", { mode: ["setgid", "owner_rwx", "group_rwx", "other_rx"], owner: "gh-relay" });
});
