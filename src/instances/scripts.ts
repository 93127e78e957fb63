/**
 * The two fixed programs the `instance` kind runs besides backend commands. Arguments only ever
 * arrive as positional parameters ($1…) and stdin, never spliced into the program text.
 */

/**
 * Run inside the guest (through the backend's exec): append the public key on stdin to USER's
 * authorized_keys unless the same key (type and body) is already there. Refuses a symlinked ~/.ssh
 * or authorized_keys (the write must land where sshd looks, owned by the user).
 *   sh -c SEED_KEY hostkit-seed USER   <<< "ssh-ed25519 AAAA… comment"
 */
export const SEED_KEY = `set -eu
user=$1
IFS= read -r key
entry=$(getent passwd "$user") || { echo "user $user does not exist in the guest" >&2; exit 3; }
home=$(printf '%s' "$entry" | cut -d: -f6); uid=$(printf '%s' "$entry" | cut -d: -f3); gid=$(printf '%s' "$entry" | cut -d: -f4)
case $home in /*) ;; *) echo "user $user has no absolute home ($home)" >&2; exit 3;; esac
dir=$home/.ssh; f=$dir/authorized_keys
for p in "$dir" "$f"; do if [ -L "$p" ]; then echo "$p is a symbolic link: refusing to write through it" >&2; exit 3; fi; done
install -d -m 0700 -o "$uid" -g "$gid" "$dir"
id=$(printf '%s\\n' "$key" | cut -d' ' -f1-2)
if [ -f "$f" ] && cut -d' ' -f1-2 "$f" | grep -qxF -- "$id"; then exit 0; fi
umask 077
printf '%s\\n' "$key" >>"$f"
chown "$uid:$gid" "$f"
chmod 0600 "$f"
`;

/**
 * Run on the controller: wait until HOST:PORT answers with an SSH identification line (RFC 4253
 * §4.2), bounded by LIMIT seconds in total. A TCP connect alone proves nothing (a proxy device
 * accepts at once and closes when nothing listens inside), so each attempt reads the banner.
 *   bash -c WAIT_SSH hostkit-wait HOST PORT LIMIT
 */
export const WAIT_SSH = `host=$1 port=$2 limit=$3
start=$SECONDS n=0 last="not tried"
while :; do
  n=$((n + 1))
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 2; while IFS= read -r -t 3 l <&3; do case $l in SSH-*) exit 0;; esac; done; exit 1' hostkit-probe "$host" "$port" 2>/dev/null
  rc=$?
  [ $rc -eq 0 ] && { echo "SSH on $host:$port answered after $((SECONDS - start)) s ($n attempt(s))"; exit 0; }
  case $rc in 2) last="connection refused";; 124) last="no answer in time";; *) last="closed before an SSH banner";; esac
  if [ $((SECONDS - start)) -ge "$limit" ]; then
    echo "SSH on $host:$port did not answer within $limit s ($n attempts; last: $last)" >&2
    exit 1
  fi
  sleep 1
done
`;

/** Run on the controller: remove each HOST's entries from a known_hosts FILE (nothing when it does not exist). */
export const FORGET_HOST_KEY = `f=$1; shift
[ -f "$f" ] || exit 0
for h in "$@"; do
  ssh-keygen -q -R "$h" -f "$f" >/dev/null 2>&1 || { echo "cannot remove $h from $f" >&2; exit 1; }
done
rm -f -- "$f.old"
`;
