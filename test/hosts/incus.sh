#!/usr/bin/env bash
# test/hosts/incus.sh - HostKit's real systemd test hosts: Incus system containers that run
# systemd as PID 1, reachable as `ssh root@127.0.0.1 -p PORT` through an Incus proxy device.
# Built from nothing: no image server is needed (the image is a local debootstrap of Debian
# bookworm), only a Debian mirror. Works on a host whose own PID 1 is not systemd.
#
# Usage:
#   incus.sh ensure                       install + start incusd + build image + launch/start the
#                                         instance $HOSTKIT_INCUS_INSTANCE, wait until ssh works
#   incus.sh ip [NAME] [--bridge]         print 127.0.0.1:PORT (and the bridge IPv4 on a 2nd line)
#   incus.sh launch NAME PORT [--privileged]
#                                         one more test host from the cached image (~5 s)
#   incus.sh env [NAME]                   `export HOSTKIT_TEST_*=...` lines to eval in tests/CI
#   incus.sh exec NAME -- CMD...          `incus exec` into an instance (stdin is passed through)
#   incus.sh stop NAME | start NAME       stop an instance / start it again and wait for ssh
#   incus.sh list                         the test hosts this script made
#   incus.sh teardown [NAME...|--all]     delete instances (default: $HOSTKIT_INCUS_INSTANCE);
#                                         image, network and incusd are kept
#
# The instances themselves are declared as HostKit instances (test/hosts/instance.ts) and brought
# up by `hostkit apply` (run from source, `bun src/main.ts`): create from the image, the SSH proxy
# device, the key pushed into root's authorized_keys, the wait for SSH, resolv.conf. The image build,
# incusd, the network and profile stay script steps, and so does the wait for systemd to finish
# booting. The script's own launch path is kept for what the declaration does not cover: VMs, a public
# key without its private half, an image override (HOSTKIT_INCUS_VIA_SCRIPT=1 forces it). A test host
# an older incus.sh launched is deleted and made again as a HostKit instance.
#
# Environment:
#   HOSTKIT_INCUS_WORK=/var/cache/hostkit-incus  cache: image tarballs, .deb cache, ssh key, logs
#   HOSTKIT_INCUS_INSTANCE=hostkit-it            instance name for ensure/ip/env/teardown
#   HOSTKIT_INCUS_SSH_PORT=2222                  ensure: 127.0.0.1:PORT -> instance:22
#   HOSTKIT_INCUS_PRIVILEGED=false               security.privileged (true is needed for systemd's
#                                                IPAddressDeny=/DevicePolicy= to be enforced)
#   HOSTKIT_INCUS_SUDO=false                     true: run incus (and setup steps) through sudo
#   HOSTKIT_INCUS_TYPE=container                 vm: pass --vm (needs QEMU; Debian 12's incus-base
#                                                has none) and HOSTKIT_INCUS_IMAGE (a VM image)
#   HOSTKIT_INCUS_IMAGE=                         use this image instead of the local debootstrap one
#   HOSTKIT_SSH_PUBLIC_KEY=                      authorize this public key instead of the generated
#                                                one (private key: HOSTKIT_SSH_PRIVATE_KEY, or the
#                                                same path without .pub)
#   HOSTKIT_INCUS_BRIDGE=incusbr0  HOSTKIT_INCUS_BRIDGE_CIDR=10.123.45.1/24  HOSTKIT_INCUS_POOL=default
#   HOSTKIT_INCUS_MIRROR=http://deb.debian.org/debian  HOSTKIT_INCUS_BOOT_TIMEOUT=90 (seconds)
#
# Progress, [timing] lines and errors go to stderr; stdout carries only what `ip`, `env`,
# `list` and `exec` print. Timings are also appended to $HOSTKIT_INCUS_WORK/timings.log.
set -Eeuo pipefail

WORK=${HOSTKIT_INCUS_WORK:-/var/cache/hostkit-incus}
INSTANCE=${HOSTKIT_INCUS_INSTANCE:-hostkit-it}
SSH_PORT=${HOSTKIT_INCUS_SSH_PORT:-2222}
PRIVILEGED=${HOSTKIT_INCUS_PRIVILEGED:-false}
USE_SUDO=${HOSTKIT_INCUS_SUDO:-false}
TYPE=${HOSTKIT_INCUS_TYPE:-container}
IMAGE_OVERRIDE=${HOSTKIT_INCUS_IMAGE:-}
BRIDGE=${HOSTKIT_INCUS_BRIDGE:-incusbr0}
BRIDGE_CIDR=${HOSTKIT_INCUS_BRIDGE_CIDR:-10.123.45.1/24}
POOL=${HOSTKIT_INCUS_POOL:-default}
MIRROR=${HOSTKIT_INCUS_MIRROR:-http://deb.debian.org/debian}
BOOT_TIMEOUT=${HOSTKIT_INCUS_BOOT_TIMEOUT:-90}
SUITE=bookworm
PROFILE=hostkit                  # our own profile: the default profile is never touched
MARK=user.hostkit.testhost       # config key set on every instance this script launches
IMAGE_PREFIX=hostkit-$SUITE
INCLUDE=systemd,systemd-sysv,udev,openssh-server,sudo,dbus,iproute2,nftables,procps,libpam-systemd,python3,ca-certificates
DEFAULT_KEY="$WORK/ssh/id_ed25519"
PUBKEY=${HOSTKIT_SSH_PUBLIC_KEY:-$DEFAULT_KEY.pub}
if [ -n "${HOSTKIT_SSH_PUBLIC_KEY:-}" ]; then
  PRIVKEY=${HOSTKIT_SSH_PRIVATE_KEY:-${HOSTKIT_SSH_PUBLIC_KEY%.pub}}
  [ "$PRIVKEY" != "$HOSTKIT_SSH_PUBLIC_KEY" ] && [ -f "$PRIVKEY" ] || PRIVKEY=${HOSTKIT_SSH_PRIVATE_KEY:-}
else
  PRIVKEY=$DEFAULT_KEY
fi
SSHOPTS=(-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
         -o LogLevel=ERROR -o ConnectTimeout=3)
LOGDIR="$WORK/logs"
CMD=${1:-help}
[ $# -gt 0 ] && shift
case "$TYPE" in container | vm) ;; *) echo "incus.sh: ERROR: HOSTKIT_INCUS_TYPE must be 'container' or 'vm', not '$TYPE'" >&2; exit 1 ;; esac

# ------------------------------------------------------------------ helpers
log() { printf '[incus.sh] %s\n' "$*" >&2; }
die() { printf 'incus.sh %s: ERROR: %s\n' "$CMD" "$*" >&2; exit 1; }
CURRENT_STEP=
trap 'rc=$?; [ "$BASH_SUBSHELL" -eq 0 ] && printf "incus.sh %s: ERROR: command failed (exit %s) at line %s%s: %s\n" "$CMD" "$rc" "$LINENO" "${CURRENT_STEP:+ in step \"$CURRENT_STEP\"}" "$BASH_COMMAND" >&2' ERR

now_us() { NOW=${EPOCHREALTIME/./}; }
timing() { # timing LABEL START_US
  local d line
  d=$(( ${EPOCHREALTIME/./} - $2 ))
  printf -v line '[timing] %-36s %4d.%d s' "$1" $((d / 1000000)) $(((d / 100000) % 10))
  echo "$line" >&2
  { [ -d "$WORK" ] && [ -w "$WORK" ] && echo "$(date -Is) $line" >>"$WORK/timings.log"; } 2>/dev/null || true
}
step() { # step LABEL FUNCTION ARGS... : run and print its wall time
  local label=$1 s; shift
  CURRENT_STEP=$label; now_us; s=$NOW
  "$@"
  timing "$label" "$s"; CURRENT_STEP=
}
run_logged() { # run_logged LOGNAME CMD... : long/noisy commands; on failure show the log's tail
  local logf="$LOGDIR/$1.log"; shift
  if ! "$@" >"$logf" 2>&1; then
    echo "---- last lines of $logf ----" >&2; tail -n 25 "$logf" >&2
    die "'$*' failed (full log: $logf)"
  fi
}

IS_ROOT=false; [ "$(id -u)" -eq 0 ] && IS_ROOT=true
asroot() { # setup steps that need root (apt, debootstrap, incusd)
  if $IS_ROOT; then "$@"
  elif [ "$USE_SUDO" = true ]; then sudo "$@"
  else die "'$1' needs root: run as root, or set HOSTKIT_INCUS_SUDO=true to use sudo"; fi
}
inc() { if [ "$USE_SUDO" = true ] && ! $IS_ROOT; then sudo incus "$@"; else incus "$@"; fi; }
need_incus() {
  command -v incus >/dev/null || die "incus is not installed: run '$0 ensure' first"
  inc info >/dev/null 2>&1 || die "incusd is not answering ('incus info' failed): run '$0 ensure' first${USE_SUDO:+ (HOSTKIT_INCUS_SUDO=$USE_SUDO)}"
}
lock() { # lock FD FILE : serialize concurrent runs (fd is closed for incusd, see start_incusd)
  local fd=$1 f=$2
  eval "exec $fd>\"\$f\""
  flock -w 900 "$fd" || die "timed out waiting for lock $f (another incus.sh still running?)"
}
valid_name() { [[ $1 =~ ^[a-z][a-z0-9-]{0,62}$ ]] || die "bad instance name '$1' (lowercase letters, digits, '-')"; }
valid_port() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ] || die "bad port '$1'"; }

prepare_work() {
  if [ ! -d "$WORK" ] || [ ! -w "$WORK" ]; then
    asroot mkdir -p "$WORK"
    $IS_ROOT || asroot chown "$(id -u):$(id -g)" "$WORK"
  fi
  mkdir -p "$LOGDIR"
}

# ------------------------------------------------------------------ 1. packages
install_packages() {
  local missing=() p
  command -v incus >/dev/null || missing+=(incus-base)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  command -v ss >/dev/null || missing+=(iproute2)
  command -v flock >/dev/null || missing+=(util-linux)
  # the incus bridge's DHCP/DNS needs dnsmasq (a Recommends that --no-install-recommends drops)
  command -v dnsmasq >/dev/null || missing+=(dnsmasq-base)
  if [ ${#missing[@]} -eq 0 ]; then log "packages already installed"; return 0; fi
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install Incus and debootstrap by hand"
  # shellcheck disable=SC1091
  local codename; codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  if [ "$codename" = bookworm ] && [[ " ${missing[*]} " == *" incus-base "* ]] &&
     ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    # Debian 12 has Incus only in bookworm-backports
    echo "deb $MIRROR bookworm-backports main" | asroot tee /etc/apt/sources.list.d/hostkit-bookworm-backports.list >/dev/null
  fi
  log "installing ${missing[*]} (apt; log: $LOGDIR/apt.log)"
  run_logged apt-update asroot apt-get -q -o DPkg::Lock::Timeout=600 update
  for p in "${missing[@]}"; do
    [ -n "$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" {print $2}' || true)" ] ||
      die "apt has no candidate for package '$p' (on Debian 12 incus-base comes from bookworm-backports)"
  done
  # NB: the full 'incus' package does NOT install on Debian 12 (needs qemu-system-x86 >= 8);
  # incus-base is the containers-only part and all that system containers need.
  run_logged apt asroot env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 \
    install -y --no-install-recommends "${missing[@]}"
}

# ------------------------------------------------------------------ 2. incusd
incusd_bin() {
  local b
  for b in /usr/libexec/incus/incusd /opt/incus/bin/incusd /usr/lib/incus/incusd "$(command -v incusd || true)"; do
    [ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
  done
  return 1
}
start_incusd() {
  if inc info >/dev/null 2>&1; then log "incusd already running"; return 0; fi
  if [ -d /run/systemd/system ] && systemctl list-unit-files incus.service >/dev/null 2>&1; then
    asroot systemctl start incus.socket incus.service
  else
    # no systemd on this host: start the daemon by hand, detached from this shell, lock fds closed
    local bin; bin=$(incusd_bin) || die "incusd binary not found (is incus-base installed?)"
    asroot mkdir -p /var/log/incus
    log "starting $bin by hand (log: /var/log/incus/incus.log)"
    local sudo=(); $IS_ROOT || { asroot true; sudo=(sudo); }
    (cd / && exec "${sudo[@]}" setsid nohup "$bin" --group=incus-admin --logfile=/var/log/incus/incus.log) \
      >/dev/null 2>&1 </dev/null 8>&- 9>&- &
    disown || true
  fi
  local b; b=$(incusd_bin) || b=""
  if [ -n "$b" ]; then
    asroot "$b" waitready --timeout=60 || die "incusd did not become ready in 60 s (see /var/log/incus/incus.log)"
  fi
  for _ in $(seq 1 60); do inc info >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "incusd started but 'incus info' does not answer (see /var/log/incus/incus.log; HOSTKIT_INCUS_SUDO=$USE_SUDO)"
}

init_incus() { # storage pool, bridge and our profile: only what is missing
  local y=""
  if ! inc storage show "$POOL" >/dev/null 2>&1; then
    y+=$'storage_pools:\n'"- name: $POOL"$'\n  driver: dir\n'
  fi
  if ! inc network show "$BRIDGE" >/dev/null 2>&1; then
    y+=$'networks:\n'"- name: $BRIDGE"$'\n  type: bridge\n  config:\n'"    ipv4.address: $BRIDGE_CIDR"$'\n    ipv4.nat: \"true\"\n    ipv6.address: none\n'
  fi
  if ! inc profile show "$PROFILE" >/dev/null 2>&1; then
    y+=$'profiles:\n'"- name: $PROFILE"$'\n  description: HostKit test hosts\n  devices:\n'
    y+="    root: {path: /, pool: $POOL, type: disk}"$'\n'"    eth0: {name: eth0, network: $BRIDGE, type: nic}"$'\n'
  fi
  if [ -z "$y" ]; then log "incus already initialised (pool $POOL, network $BRIDGE, profile $PROFILE)"; return 0; fi
  printf 'config: {}\n%s' "$y" >"$WORK/incus-preseed.yaml"
  log "incus admin init --preseed ($WORK/incus-preseed.yaml)"
  inc admin init --preseed <"$WORK/incus-preseed.yaml"
}

# ------------------------------------------------------------------ 3. image (local debootstrap)
build_rootfs() { # build_rootfs DIR
  local R=$1
  asroot rm -rf "$R"; mkdir -p "$WORK/debs"
  log "debootstrap $SUITE (minbase + $INCLUDE; log: $LOGDIR/debootstrap.log)"
  run_logged debootstrap asroot debootstrap --variant=minbase --cache-dir="$WORK/debs" \
    --include="$INCLUDE" "$SUITE" "$R" "$MIRROR"
}
customize_rootfs() { # customize_rootfs DIR
  local R=$1
  local script
  read -r -d '' script <<'EOS' || true
R=$1 MIRROR=$2 BRIDGE_CIDR=$3
echo testhost >"$R/etc/hostname"                 # per instance via the image template
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
: >"$R/etc/machine-id"                           # empty: systemd makes a unique one at first boot
ln -sfn /etc/machine-id "$R/var/lib/dbus/machine-id"
cat >"$R/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
echo "nameserver ${BRIDGE_CIDR%/*}" >"$R/etc/resolv.conf"   # rewritten at launch to the real gateway
mkdir -p "$R/etc/systemd/network"                # DHCP on eth0 (udev is needed for eth0 to come up)
printf '[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\n\n[DHCPv4]\nUseHostname=no\n' >"$R/etc/systemd/network/10-eth0.network"
echo 'LANG=C.UTF-8' >"$R/etc/default/locale"     # silences pam_env warnings on each ssh login
systemctl --root="$R" enable systemd-networkd.service
rm -f "$R"/etc/ssh/ssh_host_*                    # unique host keys per instance, made at first boot
cat >"$R/etc/systemd/system/ssh-hostkeys.service" <<'EOF'
[Unit]
Description=Generate missing SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target ssh.service
EOF
systemctl --root="$R" enable ssh-hostkeys.service
systemctl --root="$R" disable apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 || true  # no dpkg-lock races
systemctl --root="$R" mask systemd-binfmt.service   # fails in privileged containers -> 'degraded'
install -d -m 0700 "$R/root/.ssh"
rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*
for b in base64 head stat sha256sum sudo python3 systemctl journalctl useradd nft ip sshd; do
  chroot "$R" sh -c "command -v $b" >/dev/null || { echo "image lacks '$b'" >&2; exit 1; }
done
EOS
  run_logged customize asroot bash -euo pipefail -c "$script" customize "$R" "$MIRROR" "$BRIDGE_CIDR" </dev/null
}
pack_image() { # pack_image ROOTFS OUTDIR
  local R=$1 O=$2
  rm -rf "$O"; mkdir -p "$O/meta/templates"
  cat >"$O/meta/metadata.yaml" <<EOF
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: Debian $SUITE amd64 (HostKit test host; local debootstrap, systemd + openssh)
  os: debian
  release: $SUITE
  architecture: amd64
  variant: hostkit-testhost
templates:
  /etc/hostname:
    when: [create, copy]
    template: hostname.tpl
  /etc/hosts:
    when: [create, copy]
    template: hosts.tpl
EOF
  printf '{{ instance.name }}\n' >"$O/meta/templates/hostname.tpl"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t{{ instance.name }}\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
    >"$O/meta/templates/hosts.tpl"
  tar -C "$O/meta" -czf "$O/meta.tar.gz" metadata.yaml templates
  # uncompressed: gzip of ~250 MB on 2 cores costs more than it saves on a local import
  asroot tar -C "$R" --numeric-owner --xattrs --xattrs-include='*' --acls -cf "$O/rootfs.tar" .
  $IS_ROOT || asroot chown "$(id -u):$(id -g)" "$O/rootfs.tar"
  rm -rf "$O/meta"
}
# The image's alias carries a hash of its recipe: changing the package list or the functions
# above makes the next `ensure` build and import a new image (old ones are dropped).
image_rev() {
  { echo "$SUITE $INCLUDE"; declare -f build_rootfs customize_rootfs pack_image; } | sha256sum | cut -c1-10
}
ensure_image() {
  if [ -n "$IMAGE_OVERRIDE" ]; then IMAGE=$IMAGE_OVERRIDE; log "using image $IMAGE (HOSTKIT_INCUS_IMAGE)"; return 0; fi
  local rev; rev=$(image_rev)
  IMAGE=$IMAGE_PREFIX-$rev
  if inc image info "$IMAGE" >/dev/null 2>&1; then log "image $IMAGE already imported"; return 0; fi
  local O="$WORK/image-$rev"
  if [ -s "$O/rootfs.tar" ] && [ -s "$O/meta.tar.gz" ]; then
    log "image tarballs cached in $O"
  else
    local R="$WORK/build-$rev/rootfs"
    step "debootstrap" build_rootfs "$R"
    step "customize rootfs" customize_rootfs "$R"
    step "pack image tarballs" pack_image "$R" "$O"
    asroot rm -rf "$WORK/build-$rev"
  fi
  step "incus image import" inc image import "$O/meta.tar.gz" "$O/rootfs.tar" --alias "$IMAGE" >&2
  # drop older HostKit images and their tarballs (instances made from them keep working)
  local a
  for a in $(inc image alias list -f csv 2>/dev/null | cut -d, -f1 | grep "^$IMAGE_PREFIX-" || true); do
    [ "$a" = "$IMAGE" ] || { log "deleting old image $a"; inc image delete "$a" || true; }
  done
  for a in "$WORK"/image-* "$WORK"/build-*; do
    [ -e "$a" ] && [ "$a" != "$O" ] && asroot rm -rf "$a"
  done
  return 0
}
current_image() { # for launch/start when ensure_image was not run in this process
  [ -n "$IMAGE_OVERRIDE" ] && { IMAGE=$IMAGE_OVERRIDE; return 0; }
  IMAGE=$IMAGE_PREFIX-$(image_rev)
}

ensure_key() {
  if [ -n "${HOSTKIT_SSH_PUBLIC_KEY:-}" ]; then
    [ -r "$PUBKEY" ] || die "HOSTKIT_SSH_PUBLIC_KEY=$PUBKEY is not a readable file"
    return 0
  fi
  mkdir -p "$WORK/ssh"; chmod 700 "$WORK/ssh"
  [ -f "$DEFAULT_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C hostkit-testhost -f "$DEFAULT_KEY"
}

ensure_base() { # everything up to (not including) the instance; fast when already done
  prepare_work
  lock 9 "$WORK/.lock"
  step "packages" install_packages
  step "start incusd" start_incusd
  step "incus admin init" init_incus
  if [ "$TYPE" = vm ]; then
    local drivers; drivers=$(inc info | sed -n 's/^  driver: //p' || true)
    [[ $drivers == *qemu* ]] ||
      die "HOSTKIT_INCUS_TYPE=vm needs QEMU, and this incusd has no qemu driver (driver: ${drivers:-?}). On Debian 12 only incus-base (containers) installs: the full 'incus' package needs qemu-system-x86 >= 8. Unset HOSTKIT_INCUS_TYPE to use a system container."
    [ -n "$IMAGE_OVERRIDE" ] || die "HOSTKIT_INCUS_TYPE=vm needs HOSTKIT_INCUS_IMAGE (a VM image, e.g. images:debian/12): the local debootstrap image is a container image"
  fi
  ensure_image
  ensure_key
  exec 9>&-
}

# ------------------------------------------------------------------ 4. instances
inst_state() { inc list "^$1\$" -c s -f csv 2>/dev/null | head -n1; }
inst_port() { # HostKit names its proxy device hk-ssh; the script's own launches call it ssh
  local l; l=$(inc config device get "$1" hk-ssh listen 2>/dev/null || inc config device get "$1" ssh listen 2>/dev/null || true); echo "${l##*:}"; }
bridge_ip() { inc list "^$1\$" -c 4 -f csv 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | head -n1 || true; }
is_vm() { [ "$(inc list "^$1\$" -c t -f csv 2>/dev/null | head -n1)" = VIRTUAL-MACHINE ]; }

wait_boot() { # wait for systemd inside to finish booting (degraded is fine)
  local n=$1 st="" i
  for ((i = 0; i < BOOT_TIMEOUT * 4; i++)); do
    st=$(inc exec "$n" -- systemctl is-system-running 2>/dev/null || true)
    case "$st" in running | degraded) break ;; esac
    sleep 0.25
  done
  case "$st" in
    running) ;;
    degraded) log "$n: systemd is degraded; failed units: $(inc exec "$n" -- systemctl --failed --no-legend --plain 2>/dev/null | awk '{print $1}' | tr '\n' ' ')" ;;
    *) die "$n: systemd did not finish booting in ${BOOT_TIMEOUT}s (is-system-running: '${st:-no answer}'); try: $0 exec $n -- systemctl list-jobs" ;;
  esac
}
authorize_key() {
  local n=$1 k
  k=$(head -n1 "$PUBKEY")
  inc exec "$n" -- sh -c 'install -d -m 0700 /root/.ssh && f=/root/.ssh/authorized_keys && touch "$f" &&
    chmod 600 "$f" && { grep -qxF "$1" "$f" || printf "%s\n" "$1" >>"$f"; }' sh "$k"
}
fix_resolv() { # point /etc/resolv.conf at the bridge gateway (dnsmasq) once DHCP is done
  local n=$1
  inc exec "$n" -- sh -c 'for i in $(seq 1 80); do gw=$(ip -4 route show default | awk "{print \$3; exit}");
    [ -n "$gw" ] && { echo "nameserver $gw" >/etc/resolv.conf; exit 0; }; sleep 0.25; done; exit 1' ||
    log "WARNING: $n got no IPv4 default route in 20 s (DHCP on $BRIDGE?); DNS inside may not work"
}
port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
ensure_proxy() {
  local n=$1 port=$2 cur want="tcp:127.0.0.1:$2"
  cur=$(inc config device get "$n" ssh listen 2>/dev/null || true)
  [ "$cur" = "$want" ] && return 0
  if port_in_use "$port"; then
    die "port 127.0.0.1:$port is already in use: $(ss -Hltnp "sport = :$port" | head -n1)"
  fi
  if [ -n "$cur" ]; then inc config device set "$n" ssh listen="$want"
  else inc config device add "$n" ssh proxy listen="$want" connect=tcp:127.0.0.1:22 >/dev/null; fi
}
ssh_ok() { # ssh_ok HOST PORT
  if [ -n "$PRIVKEY" ]; then
    ssh -i "$PRIVKEY" "${SSHOPTS[@]}" -p "$2" "root@$1" true </dev/null 2>/dev/null
  else # no private key known for HOSTKIT_SSH_PUBLIC_KEY: settle for an SSH banner
    timeout 3 bash -c 'exec 3<>/dev/tcp/$0/$1 && head -c4 <&3' "$1" "$2" 2>/dev/null | grep -q '^SSH-'
  fi
}
wait_ssh() { # wait_ssh HOST PORT SECONDS
  local i
  for ((i = 0; i < $3 * 4; i++)); do ssh_ok "$1" "$2" && return 0; sleep 0.25; done
  return 1
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Whether NAME is brought up by `hostkit apply test/hosts/instance.ts`: a container, a private key with
# its .pub beside it, bun, and either no instance yet or one HostKit created.
via_hostkit() { # via_hostkit NAME CREATE(true|false)
  [ "${HOSTKIT_INCUS_VIA_SCRIPT:-}" != 1 ] && [ "$TYPE" = container ] && [ -z "$IMAGE_OVERRIDE" ] || return 1
  [ -n "$PRIVKEY" ] && [ "$PUBKEY" = "$PRIVKEY.pub" ] && command -v bun >/dev/null 2>&1 || return 1
  [ -n "$(inst_state "$1")" ] || return 0
  [ "$(inc config get "$1" user.hostkit.managed 2>/dev/null || true)" = true ] && return 0
  # A test host an older incus.sh launched (its marker, not HostKit's): test hosts are disposable, so it
  # is made again as a HostKit instance. Anything else of that name is left alone (the script path).
  if ${2:-false} && [ "$(inc config get "$1" "$MARK" 2>/dev/null || true)" = true ]; then
    log "$1 was launched by an older incus.sh: deleting it to make it again as a HostKit instance"
    inc delete -f "$1" >/dev/null
    return 0
  fi
  return 1
}
hostkit_apply() { # hostkit_apply NAME PORT PRIVILEGED: the declared test host, one apply
  mkdir -p "$WORK/known_hosts" "$WORK/runs"
  # The image it was made from (start/stop never read the image), else the current one for a new instance.
  local image; image=$(inc config get "$1" user.hostkit.image 2>/dev/null || true)
  image=${image:-${IMAGE:-}}
  [ -n "$image" ] || die "no image for $1 (run '$0 ensure' first)"
  ( cd "$REPO" && HOSTKIT_TESTHOST_NAME="$1" HOSTKIT_TESTHOST_PORT="$2" HOSTKIT_TESTHOST_PRIVILEGED="$3" \
      HOSTKIT_TESTHOST_IMAGE="$image" HOSTKIT_TESTHOST_KEY="$PRIVKEY" HOSTKIT_TESTHOST_WORK="$WORK" \
      HOSTKIT_TESTHOST_DNS="${BRIDGE_CIDR%/*}" HOSTKIT_TESTHOST_BOOT_TIMEOUT="$BOOT_TIMEOUT" \
      HOSTKIT_TESTHOST_SUDO="$([ "$USE_SUDO" = true ] && ! $IS_ROOT && echo true || echo false)" NO_COLOR=1 \
      bun src/main.ts apply test/hosts/instance.ts --instance testhost --confirm --quiet --runs-root "$WORK/runs/$1" )
}
ensure_instance_hostkit() { # ensure_instance_hostkit NAME PORT PRIVILEGED CREATE(true|false)
  local n=$1 port=$2 priv=$3 create=$4 st cur s
  lock 8 "$WORK/.lock-$n"
  now_us; s=$NOW
  st=$(inst_state "$n")
  case "$st" in
    "")
      $create || die "no instance '$n' (create it with: $0 launch $n PORT)"
      ! port_in_use "$port" || die "port 127.0.0.1:$port is already in use: $(ss -Hltnp "sport = :$port" | head -n1)"
      rm -f "$WORK/known_hosts/$n" # a new instance has a new host key
      log "hostkit apply: $n from $IMAGE (privileged=$priv)" ;;
    FROZEN) log "unfreezing instance $n"; inc unfreeze "$n" ;;
  esac
  if [ -n "$st" ]; then # security.privileged takes effect only after a restart, which the declaration does not do
    cur=$(inc config get "$n" security.privileged 2>/dev/null || true)
    if [ "${cur:-false}" != "$priv" ]; then
      log "$n: security.privileged ${cur:-false} -> $priv (restart)"
      inc config set "$n" security.privileged="$priv"
      [ "$st" != RUNNING ] || inc restart "$n" --timeout 30 || inc restart "$n" --force
    fi
  fi
  if ! hostkit_apply "$n" "$port" "$priv" >"$LOGDIR/hostkit-$n.log" 2>&1; then
    [ -n "$(inst_state "$n")" ] || { tail -n 20 "$LOGDIR/hostkit-$n.log" >&2; die "hostkit apply of test host $n failed (log: $LOGDIR/hostkit-$n.log)"; }
    # e.g. the proxy's forkproxy process died with an old incusd: the device is re-made by the next apply
    log "$n: hostkit apply failed ($(grep -m1 '^error:' "$LOGDIR/hostkit-$n.log" || tail -n1 "$LOGDIR/hostkit-$n.log")); re-creating the proxy device and applying again"
    inc config device remove "$n" hk-ssh >/dev/null 2>&1 || true
    hostkit_apply "$n" "$port" "$priv" >>"$LOGDIR/hostkit-$n.log" 2>&1 ||
      { tail -n 20 "$LOGDIR/hostkit-$n.log" >&2; die "hostkit apply of test host $n failed (log: $LOGDIR/hostkit-$n.log)"; }
  fi
  timing "hostkit apply $n ($([ -z "$st" ] && echo created || echo existing))" "$s"
  now_us; s=$NOW
  wait_boot "$n"
  wait_ssh 127.0.0.1 "$port" 30 || die "ssh root@127.0.0.1 -p $port does not work after hostkit apply (key $PRIVKEY)"
  timing "boot+ssh ready $n" "$s"
  exec 8>&-
  log "ready: ssh -i $PRIVKEY -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p $port root@127.0.0.1"
}

ensure_instance() { # ensure_instance NAME PORT PRIVILEGED CREATE(true|false)
  if via_hostkit "$1" "$4"; then ensure_instance_hostkit "$@"; return; fi
  local n=$1 port=$2 priv=$3 create=$4 st cur fresh=false s
  lock 8 "$WORK/.lock-$n"
  now_us; s=$NOW
  st=$(inst_state "$n")
  case "$st" in
    "")
      $create || die "no instance '$n' (create it with: $0 launch $n PORT)"
      [ "$TYPE" = vm ] || ! port_in_use "$port" ||
        die "port 127.0.0.1:$port is already in use: $(ss -Hltnp "sport = :$port" | head -n1)"
      local vmflag=(); [ "$TYPE" = vm ] && vmflag=(--vm)
      log "launching $n from $IMAGE (privileged=$priv${vmflag:+, vm})"
      inc launch "$IMAGE" "$n" -p "$PROFILE" "${vmflag[@]}" -c security.privileged="$priv" -c "$MARK=true" >/dev/null
      fresh=true ;;
    RUNNING) ;;
    STOPPED) log "starting stopped instance $n"; inc start "$n" ;;
    FROZEN) log "unfreezing instance $n"; inc unfreeze "$n" ;;
    *) die "instance $n is in state '$st': delete it with '$0 teardown $n' and retry" ;;
  esac
  if ! $fresh && ! is_vm "$n"; then
    cur=$(inc config get "$n" security.privileged 2>/dev/null || true)
    if [ "${cur:-false}" != "$priv" ]; then
      log "$n: security.privileged ${cur:-false} -> $priv (restart)"
      inc config set "$n" security.privileged="$priv"
      inc restart "$n" --timeout 30 || inc restart "$n" --force
    fi
  fi
  timing "instance $n up ($([ $fresh = true ] && echo launched || echo existing))" "$s"
  now_us; s=$NOW
  wait_boot "$n"
  timing "boot $n" "$s"
  now_us; s=$NOW
  authorize_key "$n"
  $fresh && fix_resolv "$n"
  local host=127.0.0.1
  if is_vm "$n"; then host=$(bridge_ip "$n"); port=22; else ensure_proxy "$n" "$port"; fi
  if ! wait_ssh "$host" "$port" 30; then
    if ! is_vm "$n"; then # e.g. the proxy's forkproxy process died with an old incusd
      log "$n: ssh on $host:$port does not answer; re-creating the proxy device"
      inc config device remove "$n" ssh >/dev/null
      ensure_proxy "$n" "$port"
    fi
    wait_ssh "$host" "$port" 30 ||
      die "ssh root@$host -p $port does not work (key ${PRIVKEY:-?}); inside: $(inc exec "$n" -- systemctl is-active ssh 2>&1 | head -n1)"
  fi
  timing "key+proxy+ssh ready $n" "$s"
  exec 8>&-
  log "ready: ssh -i ${PRIVKEY:-<your key>} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p $port root@$host"
}

# ------------------------------------------------------------------ subcommands
cmd_ensure() {
  valid_name "$INSTANCE"; valid_port "$SSH_PORT"
  now_us; local t0=$NOW
  ensure_base
  ensure_instance "$INSTANCE" "$SSH_PORT" "$PRIVILEGED" true
  timing "TOTAL ensure" "$t0"
}
cmd_launch() {
  local n=${1:-} port=${2:-} priv=false
  [ -n "$n" ] && [ -n "$port" ] || die "usage: $0 launch NAME PORT [--privileged]"
  shift 2
  for a in "$@"; do
    case "$a" in --privileged) priv=true ;; *) die "unknown option '$a' (usage: $0 launch NAME PORT [--privileged])" ;; esac
  done
  valid_name "$n"; valid_port "$port"
  now_us; local t0=$NOW
  ensure_base
  ensure_instance "$n" "$port" "$priv" true
  timing "TOTAL launch $n" "$t0"
}
cmd_ip() {
  local n=$INSTANCE bridge=false a
  for a in "$@"; do case "$a" in --bridge) bridge=true ;; -*) die "unknown option '$a'" ;; *) n=$a ;; esac; done
  need_incus
  [ -n "$(inst_state "$n")" ] || die "no instance '$n' (run '$0 ensure')"
  if is_vm "$n"; then echo "$(bridge_ip "$n"):22"; return 0; fi
  local port; port=$(inst_port "$n")
  [ -n "$port" ] || die "instance '$n' has no ssh proxy device (run '$0 ensure' or '$0 start $n')"
  echo "127.0.0.1:$port"
  if $bridge; then echo "$(bridge_ip "$n")"; fi
}
cmd_env() {
  local n=${1:-$INSTANCE} hp host port
  hp=$(cmd_ip "$n") || exit 1
  host=${hp%:*} port=${hp##*:}
  printf 'export HOSTKIT_TEST_SSH_HOST=%q\n' "$host"
  printf 'export HOSTKIT_TEST_SSH_PORT=%q\n' "$port"
  printf 'export HOSTKIT_TEST_SSH_USER=root\n'
  printf 'export HOSTKIT_TEST_SSH_KEY=%q\n' "$PRIVKEY"
  printf 'export HOSTKIT_TEST_INSTANCE=%q\n' "$n"
}
cmd_exec() {
  local n=$INSTANCE
  if [ $# -gt 0 ] && [ "$1" != -- ]; then n=$1; shift; fi
  [ "${1:-}" = -- ] && shift
  [ $# -gt 0 ] || die "usage: $0 exec NAME -- CMD..."
  # exec: the command's own exit status is ours, without an error message from the ERR trap
  if [ "$USE_SUDO" = true ] && ! $IS_ROOT; then exec sudo incus exec "$n" -- "$@"; fi
  exec incus exec "$n" -- "$@"
}
cmd_stop() {
  local n=${1:-$INSTANCE}
  need_incus
  [ "$(inst_state "$n")" = STOPPED ] && return 0
  inc stop "$n" --timeout 30 || inc stop "$n" --force
}
cmd_start() {
  local n=${1:-$INSTANCE} port priv
  need_incus
  [ -n "$(inst_state "$n")" ] || die "no instance '$n'"
  port=$(inst_port "$n"); port=${port:-$SSH_PORT}
  priv=$(inc config get "$n" security.privileged 2>/dev/null || true)
  prepare_work; ensure_key
  ensure_instance "$n" "$port" "${priv:-false}" false
}
cmd_list() {
  need_incus
  { inc list "$MARK=true" -c ns4t -f csv; inc list "user.testhost=true" -c ns4t -f csv; } | while IFS=, read -r name state ip4 type; do
    printf '%-20s %-8s 127.0.0.1:%-6s %s %s\n' "$name" "$state" "$(inst_port "$name")" "${ip4%% *}" "$type"
  done
}
cmd_teardown() {
  need_incus
  local names=("$@") n
  [ ${#names[@]} -gt 0 ] || names=("$INSTANCE")
  if [ "${names[0]}" = --all ]; then
    mapfile -t names < <(inc list "$MARK=true" -c n -f csv; inc list "user.testhost=true" -c n -f csv)
  fi
  for n in "${names[@]}"; do
    [ -n "$n" ] || continue
    if [ -n "$(inst_state "$n")" ]; then
      now_us; local s=$NOW
      inc delete -f "$n"; timing "delete $n" "$s"
    else log "no instance '$n'"; fi
  done
}

case "$CMD" in
  ensure) cmd_ensure "$@" ;;
  launch) cmd_launch "$@" ;;
  ip) cmd_ip "$@" ;;
  env) cmd_env "$@" ;;
  exec) cmd_exec "$@" ;;
  stop) cmd_stop "$@" ;;
  start) cmd_start "$@" ;;
  list) cmd_list "$@" ;;
  teardown) cmd_teardown "$@" ;;
  help | -h | --help) sed -n '2,/^set -E/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) die "unknown subcommand '$CMD' (ensure|ip|launch|env|exec|stop|start|list|teardown|help)" ;;
esac
