#!/usr/bin/env bash
# test/run-all.sh - the README's test command (`bun run test:all`): every test, with the real-host
# integration tests switched on whenever this machine can run them.
#   HOSTKIT_INTEGRATION_TOOL set      → used as given (incus | remote)
#   unset, Incus installed here        → test/hosts/incus.sh ensure, then integration tests on
#   unset, no Incus                    → integration tests skip, each printing why; this says so up front
set -uo pipefail
cd "$(dirname "$0")/.."

if [ -z "${HOSTKIT_INTEGRATION_TOOL:-}" ]; then
  if command -v incus >/dev/null 2>&1 && [ -x /usr/libexec/incus/incusd ] && bash test/hosts/incus.sh ensure >/tmp/hostkit-incus-ensure.log 2>&1; then
    eval "$(bash test/hosts/incus.sh env)"
    export HOSTKIT_INTEGRATION_TOOL=incus
    echo "integration tests: on (Incus test host $HOSTKIT_TEST_INSTANCE at 127.0.0.1:$HOSTKIT_TEST_SSH_PORT)"
  elif command -v incus >/dev/null 2>&1; then
    echo "integration tests: off — the Incus test host did not come up (log: /tmp/hostkit-incus-ensure.log)" >&2
  else
    echo "integration tests: off — Incus is not installed here; .ci/setup-incus.sh installs it (or set HOSTKIT_INTEGRATION_TOOL=remote with HOSTKIT_INTEGRATION_CONFIG)" >&2
  fi
else
  echo "integration tests: HOSTKIT_INTEGRATION_TOOL=$HOSTKIT_INTEGRATION_TOOL"
fi
exec bun test --timeout 120000 "$@"
