/**
 * `hostkit backup FILE --out DIR`: copies the storage declared with `backup: true` off each target,
 * as one tar archive per target (links stored as links, numeric owners, one file system per path),
 * written 0600 in a 0700 directory on the controller. What a service keeps in its storage is data
 * HostKit never manages, so it is never in a plan: this is how it leaves the host.
 */
import { defineCommand } from "citty";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { load } from "../load.ts";
import { HostKitError } from "../model/errors.ts";
import { forTarget } from "../plan/planner.ts";
import { eachTarget, resolveTargets } from "../targets/resolve.ts";
import { text } from "../targets/runner.ts";
import { makePrivateDir, writePrivate } from "../artifacts/private.ts";
import { needFile, printJson, repeated, requireArg } from "./common.ts";
import { targetArgs, targetFlags } from "./target-args.ts";
import { commonArgs, usageError } from "./flags.ts";
import { BackupsSchema, JSON_FORMAT_VERSION } from "./json.ts";
import type * as v from "valibot";

/** The tar invocation for the declared paths (relative to the target's root, so archives restore anywhere). */
export function backupArgv(paths: readonly string[], root: string | undefined): string[] {
  return ["tar", "--create", "--file=-", "--numeric-owner", "--one-file-system", "--directory", root ?? "/", "--", ...paths.map((p) => p.replace(/^\/+/, ""))];
}

export default defineCommand({
  meta: { name: "backup", description: "Copy the storage declared with backup: true off each target, as one tar archive per target" },
  args: {
    file: { type: "positional", description: "Infra file", required: false },
    ...requireArg,
    ...targetArgs,
    out: { type: "string", description: "Directory on this machine for the archives (made 0700; archives 0600)", valueHint: "DIR" },
    json: { type: "boolean", description: "Print what was written as JSON (kind hostkit.backups)" },
    ...commonArgs,
  },
  async run({ args, rawArgs }) {
    const project = await load(needFile(args.file, "backup"), { require: repeated(rawArgs, "require") });
    if (!args.out) throw usageError("hostkit backup needs --out DIR", "hostkit backup infra/config.ts --host prod --out backups/");
    const out = resolve(args.out);
    const targets = resolveTargets(project.hosts, targetFlags(args, rawArgs));
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    const written = await eachTarget(targets, 4, async (t) => {
      // Any resource marked `backup: true` with a path (storage directories today).
      const paths = forTarget(project.resources, t.info, []).flatMap((r) => {
        const m = r as { backup?: boolean; path?: string };
        return m.backup && m.path ? [m.path] : [];
      });
      if (!paths.length) throw new HostKitError({ subject: `project ${project.project}`, message: `declares no storage with backup: true for ${t.info.name}`, hint: 's.storage("data", { backup: true })' });
      const runner = await t.open();
      try {
        const res = await runner.exec(backupArgv(paths, t.ctx.root));
        if (res.code !== 0) throw new HostKitError({ subject: t.info.name, message: `tar failed (exit ${res.code}): ${text(res.stderr).trim().split("\n").slice(-3).join(" | ")}` });
        makePrivateDir(out);
        const file = join(out, `${project.project}-${t.info.name}-${stamp}.tar`);
        writePrivate(file, res.stdout);
        return { target: t.info.name, file, paths, bytes: res.stdout.length, sha256: createHash("sha256").update(res.stdout).digest("hex") };
      } finally {
        await runner.close();
      }
    });
    if (args.json) printJson({ kind: "hostkit.backups", formatVersion: JSON_FORMAT_VERSION, backups: written } satisfies v.InferOutput<typeof BackupsSchema>);
    else for (const w of written) process.stdout.write(`${w.target}: ${w.file} (${w.bytes} bytes, sha256 ${w.sha256}): ${w.paths.join(", ")}\n`);
    return 0;
  },
});
