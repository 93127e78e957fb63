/**
 * @internal Fixed POSIX sh programs that kinds run as `sh -c SCRIPT NAME ARG…`. User data only ever
 * arrives as positional arguments or stdin, so nothing here quotes anything: these are constants.
 */

/**
 * Owner and group → numeric ids. With ROOT set, names are looked up in ROOT/etc/passwd and
 * ROOT/etc/group (an offline tree); `root` is uid/gid 0 even when the tree has no passwd yet.
 * Expects $owner $group $root; sets $ids to "uid:gid" (or "owner:group" for the live system).
 */
const OWNER_IDS = `if [ -n "$root" ]; then
  uid=$(awk -F: -v n="$owner" '$1==n{print $3; exit}' "$root/etc/passwd" 2>/dev/null || true)
  gid=$(awk -F: -v n="$group" '$1==n{print $3; exit}' "$root/etc/group" 2>/dev/null || true)
  [ -n "$uid" ] || [ "$owner" != root ] || uid=0
  [ -n "$gid" ] || [ "$group" != root ] || gid=0
  case "$owner" in ''|*[!0-9]*) [ -n "$uid" ] || { echo "unknown user $owner in $root/etc/passwd" >&2; exit 1; } ;; *) uid=$owner ;; esac
  case "$group" in ''|*[!0-9]*) [ -n "$gid" ] || { echo "unknown group $group in $root/etc/group" >&2; exit 1; } ;; *) gid=$group ;; esac
  ids="$uid:$gid"
else
  ids="$owner:$group"
fi`;

/**
 * Atomic file write: stdin → temp file beside the target → fsync → owner/mode → rename.
 * Args: DEST MODE OWNER GROUP ROOT (owner/group resolution as in OWNER_IDS). Stdin starts with the
 * payload's length on one line: a payload cut short (the applier was killed mid-write) is refused and
 * the target keeps its old content. Leftover temp files of earlier, killed writes are removed after
 * the rename (the host lock guarantees no other apply is writing here). A terminal's Ctrl-C (SIGINT
 * to the whole process group) is ignored: the applier finishes the step it is in, then stops.
 */
export const WRITE_FILE = `set -eu
trap '' INT
dest=$1 mode=$2 owner=$3 group=$4 root=$5
dir=\${dest%/*}; [ -n "$dir" ] || dir=/
${OWNER_IDS}
[ -d "$dir" ] || mkdir -p -- "$dir"
tmp=$(mktemp "$dir/.hostkit-tmp.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 143' TERM
trap 'exit 129' HUP
IFS= read -r size
case "$size" in ''|*[!0-9]*) echo "payload has no length header" >&2; exit 1 ;; esac
cat > "$tmp"
got=$(($(wc -c < "$tmp")))
[ "$got" -eq "$size" ] || { echo "payload cut short: got $got of $size bytes; $dest left unchanged" >&2; exit 1; }
chown "$ids" "$tmp"
chmod "$mode" "$tmp"
sync -- "$tmp" 2>/dev/null || sync
mv -f -- "$tmp" "$dest"
trap - EXIT
rm -f -- "$dir"/.hostkit-tmp.?????? 2>/dev/null || true
`;

/** Directory: create (with parents), then owner and mode. Args: PATH MODE OWNER GROUP ROOT. */
export const MAKE_DIR = `set -eu
trap '' INT
path=$1 mode=$2 owner=$3 group=$4 root=$5
${OWNER_IDS}
mkdir -p -- "$path"
chown "$ids" "$path"
chmod "$mode" "$path"
`;

/**
 * An account in an offline tree (what \`useradd --root\` does, without needing chroot or the tree's
 * own binaries). Args: ROOT NAME SYSTEM(0|1) HOME SHELL GROUP GROUPS(comma list).
 * Every value is checked again here before it is appended to passwd/group (the DSL checks them at
 * load time; a saved plan or another caller may not have): names as useradd's NAME_REGEX, home and
 * shell absolute with no ':' and no control character, so no value can add a line or a field.
 */
export const ADD_ACCOUNT_OFFLINE = `set -eu
root=$1 name=$2 system=$3 home=$4 shell=$5 group=$6 groups=$7
bad() { echo "refusing account $name: $1" >&2; exit 2; }
valid_name() {
  case "$1" in ''|[!a-z_]*|*[!-a-z0-9_$]*|*[$]?*) return 1 ;; esac
  [ \${#1} -le 32 ]
}
valid_path() {
  case "$1" in /*) ;; *) return 1 ;; esac
  case "$1" in *[[:cntrl:]:]*) return 1 ;; esac
}
valid_name "$name" || bad "invalid account name"
[ -z "$home" ] || valid_path "$home" || bad "invalid home"
valid_path "$shell" || bad "invalid shell"
[ -z "$group" ] || valid_name "$group" || bad "invalid group name"
case "$groups" in *[!-a-z0-9_$,]*|,*|*,|*,,*) bad "invalid supplementary group list" ;; esac
old_ifs=$IFS; IFS=,
for g in $groups; do valid_name "$g" || bad "invalid supplementary group $g"; done
IFS=$old_ifs
mkdir -p "$root/etc"
for f in passwd group shadow gshadow; do [ -e "$root/etc/$f" ] || : > "$root/etc/$f"; done
[ -s "$root/etc/passwd" ] || echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
[ -s "$root/etc/group" ] || echo 'root:x:0:' > "$root/etc/group"
free_id() { # lowest unused id in [lo, hi] of file's 3rd field, searching down from hi for system ids
  awk -F: -v lo="$2" -v hi="$3" -v down="$4" '{u[$3]=1} END {
    if (down) { for (i = hi; i >= lo; i--) if (!(i in u)) { print i; exit } }
    else { for (i = lo; i <= hi; i++) if (!(i in u)) { print i; exit } } }' "$1"
}
if [ "$system" = 1 ]; then lo=100 hi=999 down=1; else lo=1000 hi=60000 down=0; fi
[ -n "$group" ] || group=$name
gid=$(awk -F: -v n="$group" '$1==n{print $3; exit}' "$root/etc/group")
if [ -z "$gid" ]; then
  gid=$(free_id "$root/etc/group" "$lo" "$hi" "$down")
  echo "$group:x:$gid:" >> "$root/etc/group"
  echo "$group:!::" >> "$root/etc/gshadow"
fi
uid=$(free_id "$root/etc/passwd" "$lo" "$hi" "$down")
[ -n "$home" ] || home=/nonexistent
echo "$name:x:$uid:$gid::$home:$shell" >> "$root/etc/passwd"
echo "$name:!:$(( $(date +%s) / 86400 ))::::::" >> "$root/etc/shadow"
if [ -n "$groups" ]; then
  old_ifs=$IFS; IFS=,
  for g in $groups; do
    # A supplementary group the tree does not have yet (systemd-journal, adm…) is created as a system group.
    if ! awk -F: -v g="$g" '$1==g{f=1} END{exit !f}' "$root/etc/group"; then
      sgid=$(free_id "$root/etc/group" 100 999 1)
      echo "$g:x:$sgid:" >> "$root/etc/group"
      echo "$g:!::" >> "$root/etc/gshadow"
    fi
    awk -F: -v OFS=: -v g="$g" -v n="$name" '$1==g { $4 = ($4 == "" ? n : $4 "," n) } { print }' "$root/etc/group" > "$root/etc/group.hostkit" && mv "$root/etc/group.hostkit" "$root/etc/group"
  done
  IFS=$old_ifs
fi
`;

/** Run a command as a user, in a directory, with env files loaded. Args: USER DIR NENV ENVFILE… ARGV… */
export const RUN_COMMAND = `set -eu
user=$1 dir=$2 n=$3; shift 3
while [ "$n" -gt 0 ]; do set -a; . "$1"; set +a; shift; n=$((n - 1)); done
[ -z "$dir" ] || cd -- "$dir"
if [ -n "$user" ] && [ "$user" != "$(id -un)" ]; then exec runuser -u "$user" -- "$@"; fi
exec "$@"
`;

/**
 * The host lock. Args: LOCKDIR HOLDER(json). Prints "acquired", or exits 3 printing the holder.
 * mkdir is atomic, so exactly one of two concurrent applies wins.
 */
export const ACQUIRE_LOCK = `set -u
lock=$1 holder=$2
mkdir -p -- "\${lock%/*}"
if mkdir -- "$lock" 2>/dev/null; then printf '%s\\n' "$holder" > "$lock/holder"; echo acquired; exit 0; fi
cat -- "$lock/holder" 2>/dev/null || echo '{}'
exit 3
`;

/** Release only a lock we hold. Args: LOCKDIR RUNID. */
export const RELEASE_LOCK = `set -u
lock=$1 run=$2
if grep -q -F -- "\\"runId\\":\\"$run\\"" "$lock/holder" 2>/dev/null; then rm -rf -- "$lock"; fi
`;
