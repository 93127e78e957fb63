#!/usr/bin/env bash
# test/run-all.sh - the README's test command (`bun run test:all`): every test, with the real-host
# integration tests switched on whenever this machine can run them.
#   HOSTKIT_INTEGRATION_TOOL set      → used as given (incus | remote)
#   unset, Incus installed here        → test/hosts/incus.sh ensure, then integration tests on
#   unset, no Incus                    → integration tests skip, each printing why; this says so up front
#   run as root without sshd/Incus     → installs them first (.ci/setup-sshd.sh, .ci/setup-incus.sh)
#   CI=true                            → a real-host test that cannot run fails (test/helpers/real-host.ts)
set -uo pipefail
cd "$(dirname "$0")/.."

# As root on a machine that lacks them, install and start what the real-host tests need, the way
# .ci/run does, saying so and how long it took: the README's two commands alone run every test.
if [ "$(id -u)" -eq 0 ] && [ -z "${HOSTKIT_INTEGRATION_TOOL:-}" ] && [ -z "${HOSTKIT_NO_SETUP:-}" ]; then
  if [ ! -x /usr/sbin/sshd ] || ! command -v incus >/dev/null 2>&1 || [ ! -x /usr/libexec/incus/incusd ]; then
    echo "test:all: installing sshd and Incus for the real-host tests (.ci/setup-sshd.sh, .ci/setup-incus.sh; ~2-4 min on a fresh machine; HOSTKIT_NO_SETUP=1 skips this)" >&2
    t0=$(date +%s)
    bash .ci/setup-sshd.sh >&2 || echo "test:all: .ci/setup-sshd.sh failed (see above)" >&2
    bash .ci/setup-incus.sh >&2 || echo "test:all: .ci/setup-incus.sh failed (see above)" >&2
    echo "test:all: set-up took $(( $(date +%s) - t0 )) s" >&2
  fi
  # Tools some tests use on the controller: Debian's caddy (site validation), nftables (nft -c).
  tools=()
  command -v caddy >/dev/null 2>&1 || tools+=(caddy)
  command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || tools+=(nftables)
  if [ "${#tools[@]}" -gt 0 ]; then
    echo "test:all: installing ${tools[*]} (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null; } || echo "test:all: could not install ${tools[*]}" >&2
    case " ${tools[*]} " in *" caddy "*) systemctl disable --now caddy >/dev/null 2>&1 || true ;; esac
  fi
fi

if [ -z "${HOSTKIT_INTEGRATION_TOOL:-}" ]; then
  if command -v incus >/dev/null 2>&1 && [ -x /usr/libexec/incus/incusd ] && bash test/hosts/incus.sh ensure >/tmp/hostkit-incus-ensure.log 2>&1; then
    eval "$(bash test/hosts/incus.sh env)"
    export HOSTKIT_INTEGRATION_TOOL=incus
    echo "integration tests: on (Incus test host $HOSTKIT_TEST_INSTANCE at 127.0.0.1:$HOSTKIT_TEST_SSH_PORT)"
  elif command -v incus >/dev/null 2>&1; then
    echo "integration tests: off — the Incus test host did not come up (log: /tmp/hostkit-incus-ensure.log)" >&2
  else
    echo "integration tests: off — Incus is not installed here; run this as root (it installs it), or .ci/setup-incus.sh (or set HOSTKIT_INTEGRATION_TOOL=remote with HOSTKIT_INTEGRATION_CONFIG)" >&2
  fi
else
  echo "integration tests: HOSTKIT_INTEGRATION_TOOL=$HOSTKIT_INTEGRATION_TOOL"
fi
if [ -n "${CI:-}" ] && [ -z "${HOSTKIT_INTEGRATION_TOOL:-}" ]; then
  echo "integration tests: CI is set, so every real-host test that cannot run is reported as a FAILURE below" >&2
fi
exec bun test --timeout 120000 "$@"
