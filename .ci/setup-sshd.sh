#!/usr/bin/env bash
# Installs what the SSH adapter tests need: OpenSSH server (run by the tests themselves on loopback,
# never as a system service), the ssh client tools and sudo. Idempotent; safe to call from .ci/run.
set -euo pipefail

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v sudo >/dev/null 2>&1 || need+=(sudo)

if [ "${#need[@]}" -gt 0 ]; then
  echo "setup-sshd: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Never start the packaged sshd service: the tests start their own on a free loopback port.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# sshd refuses to start without its privilege-separation directory.
mkdir -p /run/sshd
chmod 0755 /run/sshd
echo "setup-sshd: $(/usr/sbin/sshd -V 2>&1 | head -n1 || true)"
