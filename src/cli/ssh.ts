/**
 * `hostkit ssh FILE NAME [-- COMMAND…]`: an interactive shell (or one command) on a declared host,
 * or the host inside an instance, with the settings the infra file declares (user, port, key,
 * known_hosts file and policy), through the system `ssh` client. A convenience like `vagrant ssh`.
 */
import { defineCommand } from "citty";
import { homedir } from "node:os";
import { join } from "node:path";
import { load } from "../load.ts";
import { HostKitError } from "../model/errors.ts";
import { needFile, repeated, requireArg } from "./common.ts";
import { commonArgs } from "./flags.ts";

const expandHome = (p: string) => (p === "~" ? homedir() : p.startsWith("~/") ? join(homedir(), p.slice(2)) : p);

export default defineCommand({
  meta: { name: "ssh", description: "Open a shell (or run a command after --) on a declared host or the host inside an instance" },
  args: {
    file: { type: "positional", description: "Infra file", required: false },
    name: { type: "positional", description: "An instance (its nested host) or a host", required: false, valueHint: "NAME" },
    argv: { type: "positional", description: "A command to run instead of a shell (after --)", required: false, valueHint: "-- COMMAND…" },
    ...requireArg,
    ...commonArgs,
  },
  async run({ args, rawArgs }) {
    const project = await load(needFile(args.file, "ssh"), { require: repeated(rawArgs, "require") });
    const name = args.name;
    if (!name) throw new HostKitError({ message: "hostkit ssh needs the NAME of an instance or host", hint: `declared: ${project.hosts.map((h) => (h.instance ? `${h.instance} (host ${h.name})` : h.name)).join(", ") || "none"}` }, 2);
    const host = project.hosts.find((h) => h.instance === name) ?? project.hosts.find((h) => h.name === name);
    if (!host) {
      const inst = project.instances?.includes(name);
      throw new HostKitError({ key: name, message: inst ? `instance "${name}" declares no nested host` : `no instance or host "${name}" in this project`, hint: inst ? `declare one: i.host("guest", { at: "127.0.0.1", ssh: { port: … } })` : `declared: ${project.hosts.map((h) => h.instance ?? h.name).join(", ") || "none"}` }, 2);
    }
    const s = host.ssh;
    if (s.password !== undefined && !s.identityFile) throw new HostKitError({ subject: `host "${host.name}"`, key: "ssh.password", message: "hostkit ssh uses the system ssh client, which takes no password from HostKit", hint: "declare ssh.identityFile, or run ssh yourself" });
    const dash = rawArgs.indexOf("--");
    const command = dash === -1 ? [] : rawArgs.slice(dash + 1);
    const argv = [
      "ssh",
      ...(s.port ? ["-p", String(s.port)] : []),
      ...(s.identityFile ? ["-i", expandHome(s.identityFile), "-o", "IdentitiesOnly=yes"] : []),
      ...(s.knownHostsFile ? ["-o", `UserKnownHostsFile=${expandHome(s.knownHostsFile)}`] : []),
      "-o",
      `StrictHostKeyChecking=${s.acceptHosts ? "accept-new" : "yes"}`,
      "-o",
      "LogLevel=ERROR",
      ...(command.length ? [] : ["-t"]),
      "--",
      `${s.user ? `${s.user}@` : ""}${host.at}`,
      ...command,
    ];
    const proc = Bun.spawn(argv, { stdin: "inherit", stdout: "inherit", stderr: "inherit" });
    return await proc.exited;
  },
});
