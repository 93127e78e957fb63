#!/bin/sh
# Install a release binary of hostkit.
#
#   curl -fsSL https://github.com/hostkit/hostkit/releases/latest/download/install.sh | sh
#   ./install.sh --prefix /opt/hostkit
#   ./install.sh --from dist/hostkit
#
# Release layout at the base URL:
#   hostkit-<os>-<arch>   the binary (os: linux|darwin, arch: x64|arm64)
#   SHA256SUMS            lines "<sha256>  hostkit-<os>-<arch>"
set -eu

DEFAULT_BASE_URL="https://github.com/hostkit/hostkit/releases/latest/download"

usage() {
	cat <<EOF
Usage: install.sh [options]

Install the hostkit binary for this machine to PREFIX/bin/hostkit.

Options:
  --prefix DIR      install to DIR/bin/hostkit (default: \$HOME/.hostkit)
  --base-url URL    download the release from URL
                    (default: \$HOSTKIT_INSTALL_BASE_URL, or
                    $DEFAULT_BASE_URL)
  --from FILE       install a local binary (e.g. dist/hostkit); no download,
                    no checksum
  -h, --help        show this help

The download is verified against SHA256SUMS from the same base URL; on a
mismatch nothing is installed.
EOF
}

say() { printf '%s\n' "$*"; }
err() { printf 'install.sh: error: %s\n' "$*" >&2; }
die() { err "$*"; exit 1; }
usage_error() {
	printf 'install.sh: %s (see: install.sh --help)\n' "$*" >&2
	exit 2
}

# ---------------------------------------------------------------- arguments

prefix=""
base_url=""
from=""

while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help)
		usage
		exit 0
		;;
	--prefix | --base-url | --from)
		[ $# -ge 2 ] || usage_error "option $1 needs a value"
		[ -n "$2" ] || usage_error "option $1 needs a non-empty value"
		case "$1" in
		--prefix) prefix=$2 ;;
		--base-url) base_url=$2 ;;
		--from) from=$2 ;;
		esac
		shift 2
		;;
	--prefix=* | --base-url=* | --from=*)
		opt=${1%%=*}
		val=${1#*=}
		[ -n "$val" ] || usage_error "option $opt needs a non-empty value"
		case "$opt" in
		--prefix) prefix=$val ;;
		--base-url) base_url=$val ;;
		--from) from=$val ;;
		esac
		shift
		;;
	-*)
		usage_error "unknown option: $1"
		;;
	*)
		usage_error "unexpected argument: $1"
		;;
	esac
done

if [ -n "$from" ] && [ -n "$base_url" ]; then
	usage_error "--from and --base-url cannot be used together"
fi

if [ -z "$prefix" ]; then
	[ -n "${HOME:-}" ] || die "HOME is not set; pass --prefix DIR"
	prefix="$HOME/.hostkit"
fi

if [ -z "$base_url" ]; then
	base_url=${HOSTKIT_INSTALL_BASE_URL:-$DEFAULT_BASE_URL}
fi
# Strip trailing slashes so "$base_url/<file>" is well-formed.
while :; do
	case "$base_url" in
	*/) base_url=${base_url%/} ;;
	*) break ;;
	esac
done

# ---------------------------------------------------------------- helpers

workdir=""
tmp_dest=""
cleanup() {
	if [ -n "$tmp_dest" ]; then rm -f "$tmp_dest"; fi
	if [ -n "$workdir" ]; then rm -rf "$workdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

detect_platform() {
	os_raw=$(uname -s)
	arch_raw=$(uname -m)
	case "$os_raw" in
	Linux) os=linux ;;
	Darwin) os=darwin ;;
	*) die "unsupported operating system: $os_raw (hostkit releases exist for Linux and macOS)" ;;
	esac
	case "$arch_raw" in
	x86_64 | amd64) arch=x64 ;;
	aarch64 | arm64) arch=arm64 ;;
	*) die "unsupported CPU architecture: $arch_raw (hostkit releases exist for x86_64 and arm64)" ;;
	esac
}

# download URL FILE -- fails (non-zero) on HTTP errors such as 404.
download() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL -o "$2" "$1"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O "$2" "$1"
	else
		die "neither curl nor wget is installed; install one of them, or use --from FILE"
	fi
}

sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | awk '{ print $1 }'
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | awk '{ print $1 }'
	else
		die "neither sha256sum nor shasum is installed; cannot verify the download"
	fi
}

# ---------------------------------------------------------------- fetch

if [ -n "$from" ]; then
	[ -e "$from" ] || die "--from: no such file: $from"
	[ -f "$from" ] || die "--from: not a regular file: $from"
	[ -r "$from" ] || die "--from: file is not readable: $from"
	src=$from
	say "Installing hostkit from local file $from"
else
	detect_platform
	asset="hostkit-$os-$arch"
	workdir=$(mktemp -d "${TMPDIR:-/tmp}/hostkit-install.XXXXXX")

	say "Downloading $asset from $base_url"
	download "$base_url/$asset" "$workdir/$asset" ||
		die "could not download $base_url/$asset: no hostkit release for $os/$arch at that URL, or the server could not be reached. Nothing was installed."
	download "$base_url/SHA256SUMS" "$workdir/SHA256SUMS" ||
		die "could not download $base_url/SHA256SUMS; cannot verify $asset. Nothing was installed."

	# Accept "<sha>  name" and the binary-mode form "<sha> *name".
	expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print tolower($1); exit }' "$workdir/SHA256SUMS")
	[ -n "$expected" ] || die "SHA256SUMS at $base_url has no entry for $asset; refusing to install. Nothing was installed."
	actual=$(sha256_of "$workdir/$asset")
	[ -n "$actual" ] || die "could not compute the sha256 of $asset"
	if [ "$expected" != "$actual" ]; then
		err "checksum mismatch for $asset"
		err "  expected (SHA256SUMS): $expected"
		err "  actual   (download):   $actual"
		die "refusing to install a binary that does not match SHA256SUMS. Nothing was installed."
	fi
	say "Checksum OK ($actual)"
	src="$workdir/$asset"
fi

# ---------------------------------------------------------------- install

bindir="$prefix/bin"
mkdir -p "$bindir" || die "cannot create $bindir"
bindir=$(CDPATH= cd -- "$bindir" && pwd) || die "cannot access $bindir"
dest="$bindir/hostkit"

# Copy into the destination directory first so the final mv is a rename on
# one filesystem: the old binary (if any) is replaced atomically.
tmp_dest="$bindir/.hostkit.install.$$"
cp "$src" "$tmp_dest" || die "cannot write to $bindir"
chmod 0755 "$tmp_dest"
# Prove the new binary runs BEFORE it replaces anything: a binary that cannot start on this machine
# (wrong libc, truncated) must not overwrite a working install.
if ! version_out=$("$tmp_dest" --version 2>&1); then
	err "the downloaded binary does not run here: 'hostkit --version' failed; nothing was installed"
	if [ -n "$version_out" ]; then printf '%s\n' "$version_out" >&2; fi
	exit 1
fi
mv -f "$tmp_dest" "$dest" || die "cannot move the binary into place at $dest"
tmp_dest=""
say "Installed hostkit to $dest"
say "$dest --version: $version_out"

case ":${PATH:-}:" in
*":$bindir:"*)
	say "$bindir is already on your PATH; run: hostkit --help"
	;;
*)
	say ""
	say "To put hostkit on your PATH, add this line to your shell profile"
	say "(~/.profile, ~/.bashrc or ~/.zshrc) and open a new shell:"
	say ""
	say "  export PATH=\"$bindir:\$PATH\""
	;;
esac
