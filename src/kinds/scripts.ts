/**
 * @internal Fixed POSIX sh programs that kinds run as `sh -c SCRIPT NAME ARG…`. User data only ever
 * arrives as positional arguments or stdin, so nothing here quotes anything: these are constants.
 */

/**
 * Owner and group → numeric ids. With ROOT set, names are looked up in ROOT/etc/passwd and
 * ROOT/etc/group (an offline tree); `root` is uid/gid 0 even when the tree has no passwd yet.
 * Expects $owner $group $root; sets $ids to "uid:gid" (or "owner:group" for the live system).
 */
export const OWNER_IDS = `if [ -n "$root" ]; then
  for f in "$root/etc" "$root/etc/passwd" "$root/etc/group"; do
    [ ! -L "$f" ] || { echo "refusing $1: \${f#"$root"} is a symbolic link; the tree's accounts are not read through links" >&2; exit 4; }
  done
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
 * The symlink-safe walk every program that changes a path runs first (see docs-security-paths.md).
 * Expects $root (an offline tree, canonical; empty on a live host), $path (absolute, inside the
 * target), $create (1: make missing parent directories, one at a time, 0755), $trust (1: the
 * declaration opted in with `unsafeParents`) and $okuid (the declared owner's uid on a live host).
 *
 * Every component of the parent chain is checked BEFORE it is used: '.', '..' and empty components,
 * symbolic links and non-directories are refused (an offline tree always; a live host unless
 * trusted); never `mkdir -p` (it follows links). On a live host every existing parent must be owned by
 * root or the declared owner (systemd's "unsafe path transition" rule), unless trusted. Then the
 * program `cd`s into the parent: the working directory pins that directory, so what follows uses
 * names relative to it, and `pwd -P` proves the directory reached is the one walked, not a link's
 * target swapped in meanwhile. Sets $dir (the parent, as a host path) and $base (the last name).
 * With create=0 and a missing parent, exits 0 when $missing_ok=1 (nothing to remove), else refuses.
 */
export const WALK = `hk_refuse() { printf 'refusing %s: %s\\n' "$path" "$1" >&2; exit 4; }
case $path in /*) ;; *) hk_refuse "not an absolute path" ;; esac
# The root itself is the canonical path the controller resolved (--root is realpath'd): a new tree is made here.
[ -z "$root" ] || [ "$create" != 1 ] || [ -e "$root" ] || [ -L "$root" ] || mkdir -p -- "$root"
[ -z "$root" ] || { [ ! -L "$root" ] && [ -d "$root" ]; } || hk_refuse "the root $root is not a directory"
rest=\${path#/} dir=$root depth=0
set --
while :; do
  case $rest in */*) ;; *) break ;; esac
  c=\${rest%%/*} rest=\${rest#*/}
  case $c in ''|.|..) hk_refuse "the path has an empty, '.' or '..' component" ;; esac
  dir=$dir/$c
  if [ -L "$dir" ]; then
    [ -z "$root" ] && [ "$trust" = 1 ] || hk_refuse "\${dir#"$root"} is a symbolic link; HostKit does not write through links (remove it, or point the declaration at the real path)"
  elif [ "$#" -eq 0 ] && [ -d "$dir" ]; then depth=$((depth + 1))
  elif [ "$#" -eq 0 ] && [ -e "$dir" ]; then hk_refuse "\${dir#"$root"} is not a directory"
  else set -- "$@" "$dir"
  fi
done
case $rest in ''|.|..) hk_refuse "the path has no file name" ;; esac
base=$rest
if [ "$#" -gt 0 ]; then
  [ "$create" = 1 ] || { [ "\${missing_ok:-0}" = 1 ] && exit 0; hk_refuse "\${1#"$root"} does not exist"; }
  have=\${1%/*}
else have=$dir
fi
cd -P -- "\${have:-/}" || hk_refuse "cannot enter \${have#"$root"}"
if [ "$trust" != 1 ] || [ -n "$root" ]; then
  [ "$(pwd -P)" = "\${have:-/}" ] || hk_refuse "\${have#"$root"} resolved to $(pwd -P) while being checked (a parent was swapped for a link)"
fi
if [ -z "$root" ] && [ "$trust" != 1 ]; then
  ups=. up=. i=0
  while [ "$i" -lt "$depth" ]; do up=$up/..; ups="$ups $up"; i=$((i + 1)); done
  p=\${have:-/}
  uids=$(stat -c %u -- $ups) || hk_refuse "cannot read the owners of its parents"
  for u in $uids; do
    [ "$u" = 0 ] || [ "$u" = "$okuid" ] || hk_refuse "\${p:-/} is owned by uid $u (neither root nor the declared owner); a user who owns a parent can swap what lies below it for a link (opt in with unsafeParents: true if you trust that user)"
    p=\${p%/*}
  done
fi
for m do
  mkdir -m 755 -- "./\${m#"$have"/}" 2>/dev/null || true
  [ ! -L "./\${m#"$have"/}" ] && [ -d "./\${m#"$have"/}" ] || hk_refuse "cannot create \${m#"$root"}"
done
if [ "$#" -gt 0 ]; then
  cd -P -- "./\${dir#"$have"/}" && [ "$(pwd -P)" = "$dir" ] || hk_refuse "\${dir#"$root"} changed while it was created"
fi
dir=\${dir:-/}`;

/**
 * Atomic file write: stdin → temp file in the (walked, pinned) parent → fsync → owner/mode → rename.
 * Args: PATH MODE OWNER GROUP ROOT TRUST (PATH inside the target; owner/group resolution as in
 * OWNER_IDS; TRUST 1 = unsafeParents). Stdin starts with the payload's length on one line: a payload
 * cut short (the applier was killed mid-write) is refused and the target keeps its old content. A
 * target that is a symbolic link is refused (never written through, never replaced). Leftover temp
 * files of earlier, killed writes are removed after the rename (the host lock guarantees no other
 * apply is writing here). A terminal's Ctrl-C (SIGINT to the whole process group) is ignored: the
 * applier finishes the step it is in, then stops.
 */
export const WRITE_FILE = `set -eu
trap '' INT
path=$1 mode=$2 owner=$3 group=$4 root=$5 trust=\${6:-0} create=1
${OWNER_IDS}
okuid=; [ -n "$root" ] || okuid=$(id -u -- "$owner" 2>/dev/null || true)
${WALK}
[ ! -L "./$base" ] || hk_refuse "it is a symbolic link; HostKit neither writes through nor replaces links (remove it first)"
[ ! -d "./$base" ] || hk_refuse "it is a directory"
tmp=$(mktemp ./.hostkit-tmp.XXXXXX)
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 143' TERM
trap 'exit 129' HUP
IFS= read -r size
case "$size" in ''|*[!0-9]*) echo "payload has no length header" >&2; exit 1 ;; esac
cat > "$tmp"
got=$(($(wc -c < "$tmp")))
[ "$got" -eq "$size" ] || { echo "payload cut short: got $got of $size bytes; $path left unchanged" >&2; exit 1; }
chown -h "$ids" "$tmp"
[ -f "$tmp" ] && [ ! -L "$tmp" ] || hk_refuse "its temp file was replaced while being written"
chmod "$mode" "$tmp"
sync -- "$tmp" 2>/dev/null || sync
mv -fT -- "$tmp" "./$base"
trap - EXIT
rm -f -- ./.hostkit-tmp.?????? 2>/dev/null || true
`;

/**
 * Directory: create the parents and itself one component at a time, then owner and mode — on the
 * directory itself (\`.\` once entered), never on a link's target. Args: PATH MODE OWNER GROUP ROOT TRUST.
 */
export const MAKE_DIR = `set -eu
trap '' INT
path=$1 mode=$2 owner=$3 group=$4 root=$5 trust=\${6:-0} create=1
${OWNER_IDS}
okuid=; [ -n "$root" ] || okuid=$(id -u -- "$owner" 2>/dev/null || true)
${WALK}
[ ! -L "./$base" ] || hk_refuse "it is a symbolic link, not a directory; HostKit never changes a link's target"
[ -e "./$base" ] || mkdir -m 700 -- "./$base"
[ ! -L "./$base" ] && [ -d "./$base" ] || hk_refuse "it is not a directory"
cd -P -- "./$base" && [ "$(pwd -P)" = "\${dir%/}/$base" ] || hk_refuse "it changed while being checked"
chown -h "$ids" .
chmod "$mode" .
`;

/**
 * Remove a file (or an empty directory), never through a link: the parents are walked as for writes
 * (a missing one means nothing to remove). Args: PATH KIND(file|dir|tree) ROOT OWNER TRUST.
 */
export const REMOVE_PATH = `set -eu
trap '' INT
path=$1 kind=$2 root=$3 owner=$4 trust=\${5:-0} create=0 missing_ok=1
okuid=; [ -n "$root" ] || okuid=$(id -u -- "$owner" 2>/dev/null || true)
${WALK}
if [ "$kind" = dir ]; then
  [ ! -L "./$base" ] || hk_refuse "it is a symbolic link, not a directory"
  [ ! -e "./$base" ] || rmdir -- "./$base"
elif [ "$kind" = tree ]; then
  # With its contents: rm -r removes links inside the tree as links, never what they point at.
  [ ! -L "./$base" ] || hk_refuse "it is a symbolic link, not a directory"
  [ ! -e "./$base" ] || rm -r --one-file-system -- "./$base"
else
  rm -f -- "./$base"
fi
`;

/**
 * A symbolic link: made as a temp link beside the target, then renamed over it (`mv -fT`: a directory
 * at the path is never written into, a link there is replaced, not followed). The parent chain is
 * walked as for writes. Args: PATH TARGET ROOT TRUST. The link's text is stored as given: it is
 * resolved by whoever follows it, on the host (or inside the tree, when it boots).
 */
export const SET_SYMLINK = `set -eu
trap '' INT
path=$1 target=$2 root=$3 trust=\${4:-0} create=1 okuid=
${WALK}
[ ! -d "./$base" ] || [ -L "./$base" ] || hk_refuse "it is a directory, not a symbolic link"
tmp=".hostkit-link.$$"
rm -f -- "./$tmp"
ln -s -- "$target" "./$tmp"
mv -fT -- "./$tmp" "./$base"
`;

/**
 * Previous content for a backup: one metadata line, then the bytes; walked as for writes (a link, or
 * a parent that is one, is refused: a backup never copies what a link points at). Args: PATH ROOT
 * OWNER TRUST.
 */
export const READ_PREVIOUS = `set -eu
path=$1 root=$2 owner=$3 trust=\${4:-0} create=0 missing_ok=0
okuid=; [ -n "$root" ] || okuid=$(id -u -- "$owner" 2>/dev/null || true)
${WALK}
[ ! -L "./$base" ] || hk_refuse "it is a symbolic link"
stat -c '%a|%U|%G' -- "./$base"
exec cat -- "./$base"
`;

/**
 * \`systemctl --root=ROOT ARGS…\` (enable/disable in an offline tree), after checking the unit
 * directory: neither it, its parents, nor its \`.wants\`/\`.requires\`/\`.upholds\` directories may be a
 * link (systemctl would create the enable links through it). Args: ROOT ARGS….
 */
export const SAFE_SYSTEMCTL = `set -eu
root=$1; shift
refuse() { printf 'refusing to change unit links in %s: %s is a symbolic link; HostKit does not write through links\\n' "$root" "$1" >&2; exit 4; }
for d in /etc /etc/systemd /etc/systemd/system; do
  [ ! -L "$root$d" ] || refuse "$d"
  [ -e "$root$d" ] || break
done
for d in "$root"/etc/systemd/system/*.wants "$root"/etc/systemd/system/*.requires "$root"/etc/systemd/system/*.upholds; do
  [ ! -L "$d" ] || refuse "\${d#"$root"}"
done
exec systemctl --root="$root" "$@"
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
path=/etc/passwd trust=0 create=1 okuid=
${WALK}
# From here on the tree's etc is the working directory: names are relative to it, and none is a link.
for f in passwd group shadow gshadow; do
  [ ! -L "./$f" ] || hk_refuse "/etc/$f is a symbolic link; the tree's accounts are not written through links"
  [ -e "./$f" ] || : > "./$f"
done
# The modes a distribution gives them: passwd and group world-readable; shadow and gshadow root:shadow
# 0640 when the tree has a shadow group, else root-only 0600 (never world-readable: they hold hashes).
chmod 644 ./passwd ./group
sgid=$(awk -F: '$1=="shadow"{print $3; exit}' ./group)
if [ -n "$sgid" ]; then chown -h "0:$sgid" ./shadow ./gshadow 2>/dev/null || true; chmod 640 ./shadow ./gshadow; else chown -h 0:0 ./shadow ./gshadow 2>/dev/null || true; chmod 600 ./shadow ./gshadow; fi
[ -s "./passwd" ] || echo 'root:x:0:0:root:/root:/bin/sh' > "./passwd"
[ -s "./group" ] || echo 'root:x:0:' > "./group"
free_id() { # lowest unused id in [lo, hi] of file's 3rd field, searching down from hi for system ids
  awk -F: -v lo="$2" -v hi="$3" -v down="$4" '{u[$3]=1} END {
    if (down) { for (i = hi; i >= lo; i--) if (!(i in u)) { print i; exit } }
    else { for (i = lo; i <= hi; i++) if (!(i in u)) { print i; exit } } }' "$1"
}
if [ "$system" = 1 ]; then lo=100 hi=999 down=1; else lo=1000 hi=60000 down=0; fi
[ -n "$group" ] || group=$name
gid=$(awk -F: -v n="$group" '$1==n{print $3; exit}' "./group")
if [ -z "$gid" ]; then
  gid=$(free_id "./group" "$lo" "$hi" "$down")
  echo "$group:x:$gid:" >> "./group"
  echo "$group:!::" >> "./gshadow"
fi
uid=$(free_id "./passwd" "$lo" "$hi" "$down")
[ -n "$home" ] || home=/nonexistent
echo "$name:x:$uid:$gid::$home:$shell" >> "./passwd"
echo "$name:!:$(( $(date +%s) / 86400 ))::::::" >> "./shadow"
if [ -n "$groups" ]; then
  old_ifs=$IFS; IFS=,
  for g in $groups; do
    # A supplementary group the tree does not have yet (systemd-journal, adm…) is created as a system group.
    if ! awk -F: -v g="$g" '$1==g{f=1} END{exit !f}' "./group"; then
      sgid=$(free_id "./group" 100 999 1)
      echo "$g:x:$sgid:" >> "./group"
      echo "$g:!::" >> "./gshadow"
    fi
    tmp=$(mktemp ./.hostkit-group.XXXXXX)
    chmod --reference=./group -- "$tmp"
    awk -F: -v OFS=: -v g="$g" -v n="$name" '$1==g { $4 = ($4 == "" ? n : $4 "," n) } { print }' ./group > "$tmp" && mv -fT -- "$tmp" ./group
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

