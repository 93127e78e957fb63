#!/usr/bin/env bash
# .ci/setup-incus.sh - called by .ci/run before the integration tests: makes sure the real
# systemd test host (Incus system container `hostkit-it`, ssh on 127.0.0.1:2222) is up.
# On a fresh machine this installs incus-base + debootstrap (bookworm-backports), starts incusd
# by hand (no systemd on the CI machine), builds the image and launches the container (~2 min);
# when the machine still has them from an earlier run it takes a few seconds (incusd was ended
# with the session: it is started again, and it restarts the containers that were running).
#
# It exports nothing. Afterwards .ci/run does:
#   eval "$(test/hosts/incus.sh env)"      # HOSTKIT_TEST_SSH_HOST/PORT/USER/KEY, HOSTKIT_TEST_INSTANCE
#   HOSTKIT_INTEGRATION_TOOL=incus bun test ...
set -euo pipefail
cd "$(dirname "$0")/.."

export HOSTKIT_INCUS_WORK=${HOSTKIT_INCUS_WORK:-/var/cache/hostkit-incus}
export HOSTKIT_INCUS_INSTANCE=${HOSTKIT_INCUS_INSTANCE:-hostkit-it}
export HOSTKIT_INCUS_SSH_PORT=${HOSTKIT_INCUS_SSH_PORT:-2222}
# CI runs as root: no sudo. Unprivileged container by default (tests that need systemd's
# IPAddressDeny= enforcement get the privileged `hostkit-it-priv` from testHost({ privileged: true })).
export HOSTKIT_INCUS_SUDO=${HOSTKIT_INCUS_SUDO:-false}
export HOSTKIT_INCUS_PRIVILEGED=${HOSTKIT_INCUS_PRIVILEGED:-false}

bash test/hosts/incus.sh ensure >&2
