/**
 * The argv ops of a firewall change: check, write, persist, and load — the load, on a host reached
 * over SSH, wrapped in the never-lock-yourself-out dance of revert.ts:
 *
 *   save   the current `table inet hostkit` into a restore file (a fixed sh program, at apply time:
 *          what is loaded THEN is what a revert must bring back, whatever the plan saw)
 *   check  the restore file with `nft -c` (a revert that cannot load would not save us)
 *   arm    a transient systemd timer that loads the restore file in N seconds
 *   load   the new ruleset (one nft transaction)
 *   verify a NEW SSH connection (Op.reconnect): the current one survives any ruleset
 *   disarm stop the timer — only reached when the new connection worked
 *   clean  remove the restore file
 *
 * If verify fails the applier stops there, the timer restores the previous table by itself, and the
 * error says so. Everything is argv; user data (file content) only travels as stdin or one argument.
 */
import type { Op, TargetCtx } from "../model/kind.ts";
import { writeOp } from "../kinds/file.ts";
import { NFT, armArgv, disarmArgv, DEFAULT_REVERT_SECONDS, DEFAULT_STATE_DIR, revertUnit } from "./revert.ts";
import { TABLE_FAMILY, TABLE_NAME } from "./nftables.ts";

/**
 * `nft -c` of `content` (one argument, piped to nft's stdin): on a live host as it is (needs root;
 * the kernel checks the batch against the live ruleset and aborts it), on an offline root in a
 * user+net namespace on the controller (reference integrations.md §2.2). Changes nothing.
 */
export function checkArgv(content: string, ctx: TargetCtx): string[] {
  return ["sh", "-c", `c=$1; shift; printf '%s' "$c" | "$@" -c -f /dev/stdin`, "hostkit-nft-check", content, ...nftOf(ctx)];
}

/** The same check as an op: the content travels on stdin (a probe has none, an op does). */
export function checkOp(label: string, content: string, ctx: TargetCtx): Op {
  return { label, argv: [...nftOf(ctx), "-c", "-f", "/dev/stdin"], stdin: { text: content } };
}

function nftOf(ctx: TargetCtx): string[] {
  return ctx.root ? ["unshare", "--user", "--map-root-user", "--net", "nft"] : [NFT];
}

/**
 * Writes the restore file $1: nft's own listing of HostKit's table after the add/delete idiom, or
 * only the idiom when the table does not exist (the revert then removes HostKit's table and nothing
 * else). A listing that fails for any other reason than "no such table" stops the reload.
 */
const SAVE_TABLE = `set -eu
saved=$1 nft=$2
dir=\${saved%/*}
[ -d "$dir" ] || mkdir -p -m 0700 -- "$dir"
[ ! -L "$dir" ] && [ ! -L "$saved" ] || { echo "refusing: $saved or its directory is a symbolic link" >&2; exit 4; }
tmp=$(mktemp "$dir/.restore.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
printf '#!/usr/sbin/nft -f\\n# Written by HostKit before a firewall reload: restores the previous table ${TABLE_FAMILY} ${TABLE_NAME}.\\ntable ${TABLE_FAMILY} ${TABLE_NAME}\\ndelete table ${TABLE_FAMILY} ${TABLE_NAME}\\n' > "$tmp"
if "$nft" list table ${TABLE_FAMILY} ${TABLE_NAME} > "$tmp.l" 2> "$tmp.e"; then cat "$tmp.l" >> "$tmp"
elif ! grep -q 'No such file or directory' "$tmp.e"; then cat "$tmp.e" >&2; rm -f -- "$tmp.l" "$tmp.e"; exit 1
fi
rm -f -- "$tmp.l" "$tmp.e"
chmod 0600 "$tmp"
mv -f -- "$tmp" "$saved"
trap - EXIT
`;

export interface LoadSpec {
  /** Names the revert timer and the restore file (letters, digits, _ -). */
  id: string;
  /** The file `nft -f` loads. */
  file: string;
  seconds?: number;
}

/** The load of `spec.file` on this target: skipped offline, plain locally, armed with a revert over SSH. */
export function loadOps(spec: LoadSpec, ctx: TargetCtx): Op[] {
  const load: Op = { label: `load ${spec.file} (nft -f: one transaction, replaces only table ${TABLE_FAMILY} ${TABLE_NAME})`, argv: [NFT, "-f", spec.file] };
  if (ctx.root) return [{ ...load, skip: "offline root: rules are loaded only on live hosts" }];
  if (!ctx.ssh) return [load];
  const seconds = spec.seconds ?? DEFAULT_REVERT_SECONDS;
  const saved = `${DEFAULT_STATE_DIR}/revert-${spec.id}.nft`;
  const { timer } = revertUnit(spec.id);
  return [
    { label: `save the current table ${TABLE_FAMILY} ${TABLE_NAME} to ${saved}`, argv: ["sh", "-c", SAVE_TABLE, "hostkit-fw-save", saved, NFT] },
    { label: `check the restore file ${saved} (nft -c)`, argv: [NFT, "-c", "-f", saved] },
    { label: `arm ${timer}: restores the previous rules in ${seconds}s unless confirmed`, argv: armArgv(spec.id, saved, seconds) },
    load,
    {
      label: `open a new SSH connection under the new rules`,
      argv: ["true"],
      // Well inside the window: a late success must never race the revert.
      reconnect: {
        timeoutMs: Math.max(3, Math.floor(seconds / 3)) * 1000,
        failure: `the new rules may lock you out; the host restores the previous firewall rules by itself within ${seconds}s (${timer}); ${spec.file} still holds the new ones (loaded at the next boot): fix the declaration and apply again`,
      },
    },
    { label: `disarm ${timer} (the new connection worked)`, argv: disarmArgv(spec.id) },
    { label: `remove ${saved}`, argv: ["rm", "-f", "--", saved] },
  ];
}

/** Write `text` as a root-owned file (the fixed write program: atomic, symlink-safe). */
export function writeRootFile(label: string, path: string, text: string, mode: number, ctx: TargetCtx): Op {
  return writeOp(label, path, { text }, { mode, owner: "root", group: "root" }, ctx.root);
}

/** `systemctl enable nftables.service` (with `--root` offline): the conf is loaded at boot. */
export function enableArgv(ctx: TargetCtx): string[] {
  return ["systemctl", ...(ctx.root ? [`--root=${ctx.root}`] : []), "enable", "nftables.service"];
}
