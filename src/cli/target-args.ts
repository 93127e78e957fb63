/** @internal Target flags shared by plan, apply, logs… */
import type { TargetFlags, TargetSpec } from "../targets/resolve.ts";
import { repeated } from "./common.ts";

export const targetArgs = {
  local: { type: "boolean", description: "This machine" },
  root: { type: "string", description: "An offline filesystem tree (like systemctl --root): paths, accounts and unit enablement under DIR; nothing is started", valueHint: "DIR" },
  host: { type: "string", description: "A host declared in the infra file (repeatable; hosts run in parallel)", valueHint: "NAME" },
  instance: { type: "string", description: "An instance declared in the infra file (p.instance): the instance on this machine, then the host inside it", valueHint: "NAME" },
  remote: { type: "string", description: "Raw SSH target host (escape hatch)", valueHint: "HOST" },
  user: { type: "string", description: "SSH user (with --remote)", valueHint: "USER" },
  port: { type: "string", description: "SSH port (with --remote)", valueHint: "PORT" },
  "identity-file": { type: "string", description: "SSH private key (with --remote)", valueHint: "FILE" },
  password: { type: "string", description: "SSH password; other users can read it in the process list: use --password-env", valueHint: "PASSWORD" },
  "password-env": { type: "string", description: "Read the SSH password from the environment variable NAME", valueHint: "NAME" },
  sudo: { type: "boolean", description: "Run commands through sudo -n" },
  "accept-hosts": { type: "boolean", description: "Accept and record unknown SSH host keys" },
  "known-hosts": { type: "string", description: "known_hosts file (default ~/.ssh/known_hosts)", valueHint: "FILE" },
} as const;

export function targetFlags(args: Record<string, unknown>, rawArgs: string[]): TargetFlags {
  const s = (k: string) => (typeof args[k] === "string" ? (args[k] as string) : undefined);
  const hosts = repeated(rawArgs, "host");
  const instances = repeated(rawArgs, "instance");
  return {
    ...(args.local ? { local: true } : {}),
    ...(s("root") ? { root: s("root") } : {}),
    ...(hosts.length ? { host: hosts } : {}),
    ...(instances.length ? { instance: instances } : {}),
    ...(s("remote") ? { remote: s("remote") } : {}),
    ...(s("user") ? { user: s("user") } : {}),
    ...(s("port") ? { port: s("port") } : {}),
    ...(s("identity-file") ? { identityFile: s("identity-file") } : {}),
    ...(s("password") !== undefined ? { password: s("password") } : {}),
    ...(s("password-env") ? { passwordEnv: s("password-env") } : {}),
    ...(args.sudo ? { sudo: true } : {}),
    ...(args["accept-hosts"] ? { acceptHosts: true } : {}),
    ...(s("known-hosts") ? { knownHosts: s("known-hosts") } : {}),
  };
}

/** Opt-ins that change what kinds plan (TargetCtx.flags): plan and apply take the same ones. */
export const kindFlagArgs = {
  "nft-reload": { type: "boolean", description: "Load the firewall rules (nft -f) after writing them; over SSH with an automatic revert unless a new connection works" },
  "allow-lockout": { type: "boolean", description: "Plan a firewall ruleset even though it drops the current SSH port" },
} as const;

/** The targets with the kind opt-ins of the command line in their context. */
export function withKindFlags(targets: TargetSpec[], args: Record<string, unknown>): TargetSpec[] {
  const flags = { ...(args["nft-reload"] ? { nftReload: true } : {}), ...(args["allow-lockout"] ? { allowLockout: true } : {}) };
  return Object.keys(flags).length ? targets.map((t) => ({ ...t, ctx: { ...t.ctx, flags } })) : targets;
}
