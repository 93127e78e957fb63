/**
 * "Never lock yourself out", as argv data. Before loading a new ruleset on a host reached over SSH,
 * apply saves HostKit's current table, arms a transient systemd timer that restores it after N
 * seconds, loads the new file, opens a NEW SSH connection, and only then disarms the timer. If the
 * new connection fails, nothing more is needed: the host restores the saved table by itself.
 *
 * What is saved is `table inet hostkit` only, not `nft list ruleset`: restoring the whole ruleset
 * would need `flush ruleset` and would undo whatever Docker or Incus changed in their own tables
 * during the window. The restore file uses the same add/delete/recreate idiom as the rendered file
 * (reference integrations.md §2.3), so it too touches only HostKit's table.
 *
 * Every builder here is pure; the applier runs the argv through a Runner (no shell anywhere).
 */
import { TABLE_FAMILY, TABLE_NAME } from "./nftables.ts";

/** `nft` by absolute path: systemd-run's transient service runs it without a login PATH. */
export const NFT = "/usr/sbin/nft";
export const DEFAULT_REVERT_SECONDS = 30;
export const DEFAULT_STATE_DIR = "/var/lib/hostkit/firewall";

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function checkId(id: string): string {
  if (!ID.test(id)) throw new TypeError(`revert id ${JSON.stringify(id)} must be 1–64 letters, digits, _ or -`);
  return id;
}
function checkPath(path: string): string {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(path) || path.split("/").includes("..")) {
    throw new TypeError(`path ${JSON.stringify(path)} must be absolute (letters, digits, . _ - /, no ..)`);
  }
  return path;
}

/** `nft -c -f FILE`: the kernel checks the batch and aborts it (needs CAP_NET_ADMIN; changes nothing). */
export function validateArgv(file: string): string[] {
  return [NFT, "-c", "-f", checkPath(file)];
}

/** `nft -f FILE`: one atomic transaction. */
export function loadArgv(file: string): string[] {
  return [NFT, "-f", checkPath(file)];
}

/** Prints HostKit's table; exit 1 with "No such file or directory" when it does not exist yet. */
export function listTableArgv(): string[] {
  return [NFT, "list", "table", TABLE_FAMILY, TABLE_NAME];
}

/**
 * The file that restores the table as `listing` (stdout of `listTableArgv`, or `null` when the table
 * was absent: the restore then removes HostKit's table and nothing else).
 */
export function revertFileContent(listing: string | null): string {
  const head = [
    "#!/usr/sbin/nft -f",
    "# Written by HostKit before a firewall reload: restores the previous table inet hostkit.",
    `table ${TABLE_FAMILY} ${TABLE_NAME}`,
    `delete table ${TABLE_FAMILY} ${TABLE_NAME}`,
  ].join("\n");
  if (listing === null) return `${head}\n`;
  // Only nft's own listing of our table belongs here; anything else would be restored as rules.
  if (!listing.startsWith(`table ${TABLE_FAMILY} ${TABLE_NAME} {\n`) || /^table /m.test(listing.slice(1)) || /^\s*include\s/m.test(listing)) {
    throw new TypeError(`the saved listing is not exactly one "table ${TABLE_FAMILY} ${TABLE_NAME}"`);
  }
  return `${head}\n${listing.endsWith("\n") ? listing : `${listing}\n`}`;
}

/** Names of the transient units: `systemd-run --on-active` creates a .timer and the .service it starts. */
export function revertUnit(id: string): { unit: string; timer: string; service: string } {
  const unit = `hostkit-fw-revert-${checkId(id)}`;
  return { unit, timer: `${unit}.timer`, service: `${unit}.service` };
}

/**
 * Arms the automatic revert. Notes:
 * - `AccuracySec=1s`: a timer's default accuracy is one minute, which would stretch a 30 s window
 *   to up to 90 s.
 * - `--collect`: a failed revert service is unloaded too, so the unit name never blocks a later run.
 * - `--on-active` counts from now: arm immediately before loading, never after.
 */
export function armArgv(id: string, savedFile: string, seconds: number = DEFAULT_REVERT_SECONDS): string[] {
  if (!Number.isInteger(seconds) || seconds < 5 || seconds > 3600) throw new TypeError(`revert window ${seconds}s must be 5–3600 whole seconds`);
  const { unit } = revertUnit(id);
  return [
    "systemd-run",
    `--unit=${unit}`,
    `--description=HostKit: restore the previous firewall table unless the new one was confirmed`,
    `--on-active=${seconds}s`,
    "--timer-property=AccuracySec=1s",
    "--collect",
    "--quiet",
    NFT,
    "-f",
    checkPath(savedFile),
  ];
}

/** Disarms: stopping a transient timer unloads it; its service never starts. */
export function disarmArgv(id: string): string[] {
  return ["systemctl", "stop", revertUnit(id).timer];
}

/** Whether the revert already fired or is still armed (`active` = armed; `inactive` = gone). */
export function timerStateArgv(id: string): string[] {
  return ["systemctl", "show", "--property=ActiveState", "--value", revertUnit(id).timer];
}

export interface RevertStep {
  step: "save" | "write-saved" | "validate" | "arm" | "load" | "verify" | "disarm" | "cleanup";
  /** The command to run; absent for steps that are not a command on the host. */
  argv?: string[];
  /** What the step is for (shown in plans and errors). */
  why: string;
}

/**
 * The whole dance, in order, for one reload of `newFile` (already written, or staged). The applier
 * runs `save`, writes `revertFileContent(stdout or null)` to `savedFile` atomically (`write-saved`),
 * runs the rest, and for `verify` opens a new SSH connection; if that fails it stops and exits
 * non-zero: the armed timer restores the saved table within `seconds`.
 */
export function revertSteps(opts: { id: string; newFile: string; seconds?: number; stateDir?: string }): { savedFile: string; steps: RevertStep[] } {
  const id = checkId(opts.id);
  const savedFile = `${checkPath(opts.stateDir ?? DEFAULT_STATE_DIR)}/revert-${id}.nft`;
  const seconds = opts.seconds ?? DEFAULT_REVERT_SECONDS;
  return {
    savedFile,
    steps: [
      { step: "save", argv: listTableArgv(), why: "capture the current HostKit table (exit 1 = no table yet)" },
      { step: "write-saved", why: `write the restore file to ${savedFile}` },
      { step: "validate", argv: validateArgv(savedFile), why: "the restore file must load, or the revert would not save us" },
      { step: "validate", argv: validateArgv(opts.newFile), why: "the new ruleset must pass nft -c before anything is loaded" },
      { step: "arm", argv: armArgv(id, savedFile, seconds), why: `restore the saved table in ${seconds}s unless disarmed` },
      { step: "load", argv: loadArgv(opts.newFile), why: "load the new ruleset (one transaction)" },
      { step: "verify", why: "open a NEW SSH connection under the new rules" },
      { step: "disarm", argv: disarmArgv(id), why: "the new connection worked: keep the new rules" },
      { step: "cleanup", argv: ["rm", "-f", "--", savedFile], why: "drop the restore file" },
    ],
  };
}
