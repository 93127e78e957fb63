/**
 * @internal The batched forms of the fixed programs in scripts.ts (many files, many directories, a large
 * backup in parts), built from the same OWNER_IDS and WALK text: same guarantees, fewer processes.
 * User data only ever arrives as positional arguments or stdin.
 */
import { OWNER_IDS, WALK } from "./scripts.ts";

/**
 * What both batched programs define first: `$me` (who runs them), `hk_ids` (owner/group → ids, and
 * the owner's uid for WALK, looked up once per owner/group pair) and `hk_walk` (WALK as a function).
 */
const BATCH_HELPERS = `me="$(id -u):$(id -g) $(id -un):$(id -gn)"
hk_ids() {
  [ "$owner:$group" != "$last_og" ] || return 0
${OWNER_IDS}
  okuid=; [ -n "$root" ] || okuid=$(id -u -- "$owner" 2>/dev/null || true)
  last_og="$owner:$group"
}
hk_walk() {
${WALK}
}`;

/**
 * Many files written by ONE program from ONE stdin stream (the batched form of WRITE_FILE, same
 * guarantees). Args: ROOT, then per group of files sharing a parent directory and metadata:
 * DIR MODE OWNER GROUP TRUST N, then BASE SEQ for each of its N files (SEQ: the file's place in the
 * plan's order, 0…). Stdin, per group: the length of the group's archive on one line, then that many
 * bytes: a tar archive holding exactly its files, in order.
 *
 * Phase 1, per group, in a subshell (a refusal there stops only that group): owner ids (cached), the
 * symlink-safe WALK of DIR (as for one file; it runs in a function, so its `set --` leaves these
 * arguments alone), every name checked (no '/', '.', '..'; not a link, not a directory), then the
 * archive, read with `head -c LEN` (never past it, and always drained), unpacked by `tar` into a fresh
 * private directory beside the targets (`mktemp -d`, 0700: nobody else can swap what lies in it). It
 * is complete only when tar exits 0 AND the last file exists (an archive cut short mid-file makes tar
 * fail; one cut between files leaves the last one missing): a payload cut short is refused. Nothing
 * is visible at a target yet (tar gives each file the declared mode, `-p`). Then ONE `sync` makes
 * every staged byte durable.
 * Phase 2, per group: WALK again (the directory is pinned anew and re-checked), owner, mode, and ONE
 * `mv -f -t .` (rename(2), atomic per file; `-t` never moves into a directory of that name) of the
 * files whose SEQ comes before the first failure of phase 1, so what lands is exactly what running the
 * files one by one in plan order would have written before stopping there.
 * Processes grow with directories, not files: names reach commands as references to this program's
 * own arguments (`"${12}"`, built with eval from numbers only), so no name is re-parsed by the shell.
 *
 * Prints `ok SEQ…` for the files put in place; exits non-zero (the first failure's message on stderr)
 * when any file was refused.
 */
export const WRITE_FILES = `set -eu
trap '' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
umask 077
root=$1 create=1 last_og=- okuid= cut= rc=0 g=0 k=2
${BATCH_HELPERS}
while [ "$k" -le "$#" ]; do
  eval "n=\\\${$((k + 5))}"
  k=$((k + 6))
  case $n in ''|*[!0-9]*|0) echo "malformed batch: group size $n" >&2; exit 2 ;; esac
  eval "gdir=\\\${$((k - 6))} mode=\\\${$((k - 5))} owner=\\\${$((k - 4))} group=\\\${$((k - 3))} trust=\\\${$((k - 2))}"
  eval "path=\\\${gdir%/}/\\\${$k}"
  IFS= read -r tsize || tsize=
  case "$tsize" in ''|*[!0-9]*) echo "payload has no length header; \${gdir%/}/ left unchanged" >&2; exit 1 ;; esac
  # Owner ids (a new pair is checked in a subshell first: an unknown owner refuses this group only).
  if [ "$owner:$group" = "$last_og" ] || (hk_ids "$path"); then
    hk_ids "$path"
  else
    head -c "$tsize" >/dev/null
    owner=' '
  fi
  if [ "$owner" = ' ' ]; then
    r=1 t= j=0
  elif out=$(head -c "$tsize" | { r=0; (
  hk_walk
  j=0 last=
  while [ "$j" -lt "$n" ]; do
    eval "base=\\\${$((k + 2 * j))}"
    bad=
    case $base in ''|.|..|*/*) bad="the file name is empty, '.' or '..', or holds a '/'" ;; esac
    [ -n "$bad" ] || [ ! -L "./$base" ] || bad="it is a symbolic link; HostKit neither writes through nor replaces links (remove it first)"
    [ -n "$bad" ] || [ ! -d "./$base" ] || bad="it is a directory"
    if [ -n "$bad" ]; then printf 'refusing %s: %s\\n' "\${gdir%/}/$base" "$bad" >&2; break; fi
    last=$base j=$((j + 1))
  done
  t=$(mktemp -d ./.hostkit-tmp.XXXXXX) || exit 1
  if ! err=$(tar -x -m -p --no-same-owner -f - -C "$t" 2>&1) || { [ "$j" -gt 0 ] && [ ! -f "$t/$last" ]; }; then
    rm -rf -- "$t"
    echo "payload cut short: the files of \${gdir%/}/ were not all received\${err:+ ($err)}; they are left unchanged" >&2
    exit 1
  fi
  printf '%s %s\\n' "\${dir%/}/\${t#./}" "$j"
  ) || r=$?; cat >/dev/null; exit "$r"; }); then
    t=\${out% *} j=\${out##* }
  else
    r=$? t= j=0
  fi
  if [ "$j" -lt "$n" ]; then
    eval "s=\\\${$((k + 2 * j + 1))}"
    if [ -z "$cut" ] || [ "$s" -lt "$cut" ]; then cut=$s rc=\${r:-4}; fi
  fi
  r=
  eval "G_t$g=\\$t G_j$g=\\$j G_k$g=\\$k G_n$g=\\$n G_d$g=\\$gdir"
  g=$((g + 1)) k=$((k + 2 * n))
done
[ "$g" -eq 0 ] || sync
gi=0
while [ "$gi" -lt "$g" ]; do
  eval "t=\\$G_t$gi j=\\$G_j$gi k=\\$G_k$gi n=\\$G_n$gi"
  gi=$((gi + 1))
  [ -n "$t" ] || continue
  eval "gdir=\\\${$((k - 6))} mode=\\\${$((k - 5))} owner=\\\${$((k - 4))} group=\\\${$((k - 3))} trust=\\\${$((k - 2))}"
  eval "path=\\\${gdir%/}/\\\${$k}"
  hk_ids "$path"
  hk_walk
  ts=./\${t##*/}
  [ "$t" = "\${dir%/}/\${ts#./}" ] && [ ! -L "$ts" ] && [ -d "$ts" ] || hk_refuse "its staging directory $ts changed"
  refs= seqs= x=0
  while [ "$x" -lt "$j" ]; do
    eval "s=\\\${$((k + 2 * x + 1))}"
    if [ -z "$cut" ] || [ "$s" -lt "$cut" ]; then refs="$refs \\"\\$ts/\\\${$((k + 2 * x))}\\"" seqs="$seqs $s"; fi
    x=$((x + 1))
  done
  if [ -n "$refs" ]; then
    # tar gave each file its mode (-p, from the archive) and us as owner: chown (then chmod again, as
    # chown clears set-id bits) only when the declared owner is not who runs this, or a set-group-id
    # directory gave the files its group.
    case " $me " in *" $ids "*) [ ! -g "$ts" ] || own=1 ;; *) own=1 ;; esac
    if [ -n "\${own:-}" ]; then
      eval "chown -h -- \\"\\$ids\\" $refs"
      eval "chmod -- \\"\\$mode\\" $refs"
    fi
    own=
    if ! eval "mv -f -t . -- $refs"; then
      # Say exactly which files were renamed before it failed.
      seqs= x=0
      while [ "$x" -lt "$j" ]; do
        eval "s=\\\${$((k + 2 * x + 1))} base=\\\${$((k + 2 * x))}"
        if { [ -z "$cut" ] || [ "$s" -lt "$cut" ]; } && [ ! -e "$ts/$base" ] && [ ! -L "$ts/$base" ]; then seqs="$seqs $s"; fi
        x=$((x + 1))
      done
      [ -z "$seqs" ] || echo "ok$seqs"
      rm -rf -- "$ts"
      echo "cannot rename the files of \${gdir%/}/ into place" >&2
      exit 1
    fi
    echo "ok$seqs"
  fi
  # Leftovers of killed writes here go once this directory's last group is in place (groups of one
  # directory are adjacent; a later one's staging must not be swept away).
  nd=; [ "$gi" -ge "$g" ] || eval "nd=\\$G_d$gi"
  if [ "$nd" = "$gdir" ]; then rm -rf -- "$ts"; else rm -rf -- ./.hostkit-tmp.?????? 2>/dev/null || true; fi
done
exit "$rc"
`;

/**
 * Many directories by ONE program (the batched form of MAKE_DIR, same steps per directory, WALK in a
 * function). Args: ROOT, then PATH MODE OWNER GROUP TRUST per directory. Prints `ok` after each.
 */
export const MAKE_DIRS = `set -eu
trap '' INT
root=$1 create=1 last_og=- okuid=
${BATCH_HELPERS}
k=2
while [ "$k" -le "$#" ]; do
  eval "path=\\\${$k} mode=\\\${$((k + 1))} owner=\\\${$((k + 2))} group=\\\${$((k + 3))} trust=\\\${$((k + 4))}"
  k=$((k + 5))
  hk_ids "$path"
  hk_walk
  [ ! -L "./$base" ] || hk_refuse "it is a symbolic link, not a directory; HostKit never changes a link's target"
  # A new directory is made private (700) until its owner is set, unless it is already right: the
  # declared owner is who runs this and the parent is not set-group-id (then it is made with its mode).
  made=
  if [ ! -e "./$base" ]; then
    case " $me " in *" $ids "*) [ -g . ] || made=$mode ;; esac
    mkdir -m "\${made:-700}" -- "./$base"
  fi
  [ ! -L "./$base" ] && [ -d "./$base" ] || hk_refuse "it is not a directory"
  cd -P -- "./$base" && [ "$(pwd -P)" = "\${dir%/}/$base" ] || hk_refuse "it changed while being checked"
  if [ -z "$made" ]; then
    chown -h "$ids" .
    chmod "$mode" .
  fi
  echo ok
done
`;

/**
 * Part of the previous content for a backup of a large file: walked as READ_PREVIOUS, then one line
 * `MODE|USER|GROUP|SIZE`, then COUNT bytes from OFFSET (the controller reads a big file in parts,
 * never holding it whole). Args: PATH ROOT OWNER TRUST OFFSET COUNT.
 */
export const READ_PREVIOUS_PART = `set -eu
path=$1 root=$2 owner=$3 trust=\${4:-0} off=$5 count=$6 create=0 missing_ok=0
okuid=; [ -n "$root" ] || okuid=$(id -u -- "$owner" 2>/dev/null || true)
${WALK}
[ ! -L "./$base" ] || hk_refuse "it is a symbolic link"
[ -f "./$base" ] || hk_refuse "it is not a regular file"
stat -c '%a|%U|%G|%s' -- "./$base"
tail -c "+$((off + 1))" -- "./$base" | head -c "$count"
`;
