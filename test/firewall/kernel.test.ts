/**
 * lockoutCheck against the kernel: the rendered ruleset is loaded in a throwaway user+net namespace
 * (the "host", 10.9.0.1 / fd09::1) joined by a veth pair to a second namespace (the "peer", 10.9.0.2 /
 * fd09::2). A SYN from the peer to a port the ruleset accepts is answered at once (nothing listens,
 * so: connection refused); one it drops is never answered, and the bounded attempt times out. The
 * kernel's answer must equal lockoutCheck's verdict for the same port and peer.
 */
import { describe, expect, test } from "bun:test";
import { lockoutCheck, render } from "../../src/firewall/nftables.ts";
import { PolicyBuilder, type Policy } from "../../src/firewall/policy.ts";
import { examples } from "../fixtures/firewall/index.ts";
import { inNetns, nsUnavailable, tempFile } from "./netns.ts";

const missing = ["ip", "nsenter", "timeout", "bash"].filter((p) => Bun.which(p) === null);
const why = nsUnavailable ?? (missing.length ? `missing ${missing.join(", ")}` : undefined);
if (why) console.warn(`SKIP firewall kernel test: ${why}`);

/**
 * Try each target once from the peer: "answered" (refused: the SYN got through and nothing listens),
 * "silent" (dropped: the bounded attempt timed out after 3 s), anything else is reported verbatim.
 */
function probe(policy: Policy, targets: { addr: string; port: number }[]): string[] {
  const file = tempFile(render(policy), "kernel.nft");
  const tries = targets
    .map(({ addr, port }) => `e=$(nsenter -t $pid -n timeout 3 bash -c 'exec 3<>/dev/tcp/${addr}/${port}' 2>&1) && echo connected || { rc=$?; if [ $rc = 124 ]; then echo silent; else case "$e" in *"Connection refused"*) echo answered;; *) echo "error $rc $e" | tr '\\n' ' '; echo;; esac; fi; }`)
    .join("\n");
  const r = inNetns(`
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 10.9.0.1/24 dev v0; ip addr add fd09::1/64 dev v0 nodad; ip link set v0 up
unshare -n sleep 60 & pid=$!
while [ "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.05; done
ip link set v1 netns $pid
nsenter -t $pid -n sh -ec 'ip link set lo up; ip addr add 10.9.0.2/24 dev v1; ip addr add fd09::2/64 dev v1 nodad; ip link set v1 up'
nft -f ${file}
${tries}
kill $pid
`);
  if (r.code !== 0) throw new Error(`netns script failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim().split("\n");
}

const pol = (body: (f: PolicyBuilder) => void) => {
  const f = new PolicyBuilder();
  body(f);
  return f.policy();
};

describe.skipIf(why !== undefined)("lockoutCheck agrees with the kernel", () => {
  const cases: { name: string; policy: Policy; targets: { addr: string; port: number }[] }[] = [
    {
      name: "the seed's policy: 22 and 443 open; 9100 only from 10.44.0.0/24; 2222 closed",
      policy: examples.seed!,
      targets: [{ addr: "10.9.0.1", port: 22 }, { addr: "10.9.0.1", port: 443 }, { addr: "10.9.0.1", port: 9100 }, { addr: "10.9.0.1", port: 2222 }],
    },
    {
      name: "source CIDRs over IPv4 and IPv6, a deny before an allow, a range",
      policy: pol((f) =>
        f
          .deny({ tcp: 2200 })
          .allow({ tcp: [2200, "3000-3010"], from: ["10.9.0.0/24", "fd09::/64"] })
          .allow({ tcp: 4000, from: "fd09::2" })
          .allow({ tcp: 5000, from: "2001:db8::/32" })
          .deny("all"),
      ),
      targets: [
        { addr: "10.9.0.1", port: 2200 },
        { addr: "10.9.0.1", port: 3005 },
        { addr: "fd09::1", port: 3010 },
        { addr: "fd09::1", port: 4000 },
        { addr: "10.9.0.1", port: 4000 },
        { addr: "fd09::1", port: 5000 },
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const kernel = probe(c.policy, c.targets);
      const predicted = c.targets.map(({ addr, port }) => {
        const v = lockoutCheck(c.policy, port, addr.includes(":") ? "fd09::2" : "10.9.0.2").verdict;
        return v === "accept" ? "answered" : v === "drop" ? "silent" : "unknown";
      });
      const label = (xs: string[]) => xs.map((x, i) => `${c.targets[i]!.addr}:${c.targets[i]!.port} ${x}`);
      expect(label(kernel)).toEqual(label(predicted));
      // Both outcomes occur, so the probe can tell them apart.
      expect(new Set(kernel)).toEqual(new Set(["answered", "silent"]));
    }, 60_000);
  }
});
