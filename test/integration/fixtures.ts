/**
 * What the first seed example (examples/first-example.ts) needs on a host besides what it declares:
 * the application itself. The example runs `/usr/local/bin/mix exograph.index.hex --web --port 4200`
 * in `/opt/toys/src/exograph`; here `mix` is a stand-in that reports, from inside the sandbox HostKit
 * rendered, what it can write and reach, logs that to the journal, then stays up.
 */
import type { Host } from "./harness.ts";
import { onHost } from "./harness.ts";

export const EXAMPLE = {
  user: "toys-exograph",
  unit: "toys-exograph.service",
  data: "/srv/toys/exograph",
  state: "/var/lib/toys/exograph",
  source: "/opt/toys/src/exograph",
  /** World-writable (1777) and outside the writable paths: only the sandbox stops the service writing here. */
  outside: "/srv/hk-outside",
  marker: "hostkit-integration fake mix",
};

const FAKE_MIX = `#!/bin/bash
# ${EXAMPLE.marker}: reports what the sandbox allows, then stays up
echo "hk-it: started as $(id -un) in $PWD: $*"
for p in ${EXAMPLE.data} ${EXAMPLE.state} ${EXAMPLE.outside} ${EXAMPLE.source}; do
  if ( : > "$p/.hk-probe.$$" ) 2>/dev/null; then rm -f "$p/.hk-probe.$$"; echo "hk-it: write $p ok"; else echo "hk-it: write $p denied"; fi
done
for t in 127.0.0.1:22 $(cat /etc/hk-it/outbound 2>/dev/null); do
  if timeout 3 bash -c "exec 3<>/dev/tcp/\${t%:*}/\${t##*:}" 2>/dev/null; then echo "hk-it: connect $t ok"; else echo "hk-it: connect $t blocked"; fi
done
echo "hk-it: probes done"
exec sleep infinity
`;

/** Remove everything the example and the fixture put on the host. */
export const CLEAN_EXAMPLE = `
systemctl disable --now ${EXAMPLE.unit} >/dev/null 2>&1 || true
rm -f /etc/systemd/system/${EXAMPLE.unit}
systemctl daemon-reload
systemctl reset-failed ${EXAMPLE.unit} >/dev/null 2>&1 || true
userdel ${EXAMPLE.user} >/dev/null 2>&1 || true
groupdel ${EXAMPLE.user} >/dev/null 2>&1 || true
rm -rf ${EXAMPLE.data} ${EXAMPLE.state} /etc/toys/exograph ${EXAMPLE.source} ${EXAMPLE.outside} /etc/hk-it
rmdir /srv/toys /var/lib/toys /etc/toys /opt/toys/src /opt/toys 2>/dev/null || true
if grep -q "${EXAMPLE.marker}" /usr/local/bin/mix 2>/dev/null; then rm -f /usr/local/bin/mix; fi
exit 0
`;

/** Clean state, then install the stand-in app. Refuses a host with a real /usr/local/bin/mix. */
export async function installExampleApp(h: Host, outbound?: string): Promise<void> {
  const real = await h.sh(`[ -e /usr/local/bin/mix ] && ! grep -q "${EXAMPLE.marker}" /usr/local/bin/mix`);
  if (real.code === 0) throw new Error(`${h.host}:${h.port} has a real /usr/local/bin/mix; not overwriting it`);
  await onHost(h, CLEAN_EXAMPLE);
  await onHost(
    h,
    `set -e
mkdir -p ${EXAMPLE.source} /usr/local/bin /etc/hk-it
cat > /usr/local/bin/mix
chmod 755 /usr/local/bin/mix
mkdir -p -m 1777 ${EXAMPLE.outside}
chmod 1777 ${EXAMPLE.outside}
${outbound ? `echo ${outbound} > /etc/hk-it/outbound` : ": > /etc/hk-it/outbound"}`,
    FAKE_MIX,
  );
}

/** The journal of the unit's CURRENT run (not earlier ones), as plain messages. */
export async function currentJournal(h: Host, unit = EXAMPLE.unit): Promise<string> {
  return onHost(h, `id=$(systemctl show -p InvocationID --value ${unit}); [ -n "$id" ] || exit 0; journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID=$id`);
}

/** Connection flags for the raw `--remote` target (the example's own host is not reachable here). */
export function remoteFlags(h: Host, knownHosts: string): string[] {
  return ["--remote", h.host, "--port", String(h.port), "--user", h.user, ...(h.identityFile ? ["--identity-file", h.identityFile] : []), "--known-hosts", knownHosts, "--accept-hosts"];
}
