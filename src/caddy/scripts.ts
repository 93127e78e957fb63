/**
 * @internal Fixed sh programs of the Caddy kinds (constants: user data arrives only as positional
 * arguments or stdin). The write and remove programs are the core's own (src/kinds/scripts.ts),
 * passed in as arguments so every path is still walked the symlink-safe way.
 */

/**
 * Validate the whole Caddy config after a site file was written or removed; when Caddy rejects it,
 * put the previous file back (stdin: its sized bytes, for "write") or remove the new one ("remove"),
 * and fail with Caddy's own `Error:` line. Caddy was not told anything yet (the reload is a later
 * handler step), so a rejected site is never active.
 * $1 main Caddyfile  $2 user to validate as ('' = as the caller)  $3 write|remove|none
 * $4 site path  $5 write program  $6 remove program
 */
export const CADDY_VALIDATE = `set -u
main=$1 user=$2 how=$3 path=$4 w=$5 rm=$6
if ! command -v caddy >/dev/null 2>&1; then
  echo "caddy is not installed: $path was not validated" >&2
  exit 0
fi
if [ -n "$user" ] && id -u -- "$user" >/dev/null 2>&1; then
  out=$(runuser -u "$user" -- caddy validate --adapter caddyfile --config "$main" 2>&1 </dev/null) && exit 0
else
  out=$(caddy validate --adapter caddyfile --config "$main" 2>&1 </dev/null) && exit 0
fi
line=$(printf '%s\\n' "$out" | grep -v '^{' | grep -o 'Error: .*' | tail -n 1)
[ -n "$line" ] || line=$(printf '%s\\n' "$out" | tail -n 1)
case $how in
  write) sh -c "$w" hostkit-write "$path" 644 root root "" 0 >/dev/null ;;
  remove) sh -c "$rm" hostkit-remove "$path" file "" root 0 >/dev/null ;;
  *) false ;;
esac
restored=$?
printf '%s\\n' "$line" >&2
if [ "$restored" -eq 0 ]; then
  echo "caddy rejected the configuration with $path; the previous site file is back and Caddy was not reloaded" >&2
else
  echo "caddy rejected the configuration with $path, and the previous site file could not be put back: Caddy was not reloaded; fix the site before the next reload" >&2
fi
exit 1`;

/**
 * Append HostKit's marked import line to the main Caddyfile unless that exact line is already in it
 * (used when the file did not exist at plan time: the caddy package installs it earlier in the same
 * apply, and its own sites must stay). $1 main (host path)  $2 import line  $3 marker  $4 root  $5 write program
 */
export const CADDY_APPEND_IMPORT = `set -eu
main=$1 line=$2 marker=$3 root=$4 w=$5
export LC_ALL=C
f="$root$main"
[ ! -L "$f" ] || { echo "refusing $main: it is a symbolic link" >&2; exit 1; }
if [ -f "$f" ] && grep -qxF -- "$line" "$f"; then exit 0; fi
c=$( { if [ -f "$f" ]; then cat -- "$f"; printf '\\n'; fi; printf '%s\\n%s\\n' "$marker" "$line"; printf x; } )
c=\${c%x}
{ printf '%s\\n' "\${#c}"; printf '%s' "$c"; } | sh -c "$w" hostkit-write "$main" 644 root root "$root" 0`;
