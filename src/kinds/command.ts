/**
 * `command`: runs at its phase when its service changes in the plan (or on every apply with
 * `when: "always"`). Nothing to read on the host: its steps are derived from the other changes.
 * Its down is the declared semantic opposite (a migration's rollback), `noop`, or `irreversible`.
 */
import * as v from "valibot";
import { AbsPath, BASE, resourceKey } from "../model/resource.ts";
import type { Change } from "../model/plan.ts";
import { formatLoc } from "../model/source.ts";
import type { SecretRef } from "../model/secret.ts";
import { RUN_COMMAND } from "./scripts.ts";
import { defineKind, type InvertCtx, type Inverse , type KindChange } from "../model/kind.ts";
import { sameKey } from "./inverse.ts";

export const CommandDownSchema = v.union([v.array(v.string()), v.literal("noop"), v.literal("irreversible")]);

export const CommandSchema = v.strictObject({
  ...BASE,
  type: v.literal("command"),
  name: v.string(),
  exec: v.pipe(v.array(v.string()), v.minLength(1)),
  phase: v.picklist(["before_start", "after_start"]),
  /** When to run: when the owning service changes in the plan, or on every apply. */
  when: v.picklist(["changed", "always"]),
  down: CommandDownSchema,
  user: v.optional(v.string()),
  workingDirectory: v.optional(AbsPath),
  env: v.array(v.string()),
});
export type Command = v.InferOutput<typeof CommandSchema>;

function invertCommand(c: KindChange<Command>, ctx: InvertCtx): Inverse {
  const d = c.down as { exec?: string[] } | "noop" | "irreversible" | undefined;
  const upExec = ((c.after)?.exec ?? []) as string[];
  if (d === "noop") return {};
  if (!d || d === "irreversible" || !Array.isArray(d.exec) || !c.resource) {
    ctx.warnings.push(`${c.key} is irreversible: the down plan does not undo \`${upExec.join(" ")}\``);
    return {};
  }
  const resource: Command = { ...(c.resource!), exec: d.exec, down: upExec };
  return { change: { ...sameKey(c), action: "run", reason: `undo ${c.key} (its declared down)`, after: { exec: d.exec, phase: (c.after)?.phase }, down: { exec: upExec }, resource } };
}

export const command = defineKind<Command, null>({
  type: "command",
  schema: CommandSchema,
  probe: () => [],
  parse: () => null,
  diff: () => ({ action: "noop", reason: "nothing changed for it" }),
  ops(change, ctx) {
    const r = change.resource!;
    const argv = ["sh", "-c", RUN_COMMAND, "hostkit-run", r.user ?? "", r.workingDirectory ?? "", String(r.env.length), ...r.env, ...r.exec];
    return [{ label: `run ${r.name}: ${r.exec.join(" ")}`, argv, ...(ctx.root ? { skip: "offline root: commands run only on live hosts" } : {}) }];
  },
  down: { invert: invertCommand, settled: () => undefined, observed: () => undefined },
  // runuser fails on a user that does not exist (offline roots run no commands).
  needs: (r, ctx) => ({ users: ctx.root || !r.user ? [] : [r.user] }),
  formatDiff: (c) => (c.action === "run" ? [`$ ${(((c.after)?.exec ?? []) as string[]).map((a) => JSON.stringify(a)).join(" ")}`] : []),
  /** Commands run before or after starts, when their service changed (or always). */
  steps({ resources, changes, ctx, all, release }) {
    const changed = changes.filter((c) => c.action !== "noop" && c.type !== "command");
    // What runs a service's commands: its release changes (any change, except units whose release did not change).
    const triggersOf = (service: string | undefined) => changed.filter((c) => (service ? c.service === service : true) && release(c));
    const before: Change[] = [];
    const after: Change[] = [];
    /** Commands that would run on a live host; an offline root runs nothing, so they are a warning, not a step. */
    const notRun: string[] = [];
    /** Commands of a changed service that did not run (no release change), said in the plan. */
    const skipped: string[] = [];
    for (const res of resources) {
      const cmd = res as Command;
      const triggeredBy = triggersOf(cmd.service).map((c) => c.key);
      if (cmd.when !== "always" && !triggeredBy.length) {
        const other = changed.filter((c) => c.service === cmd.service).map((c) => c.key);
        if (cmd.service && other.length) skipped.push(`${resourceKey(cmd)} did not run: service ${cmd.service} changed (${other.join(", ")}) but not its release (files, env files, what its units run)`);
        continue;
      }
      if (ctx.root) {
        notRun.push(resourceKey(cmd));
        continue;
      }
      // References (never values) of the secrets in the files it loads: the applier scrubs their values from output.
      const secrets = all.flatMap((e) => {
        const f = e as { path?: string; secret?: Record<string, SecretRef> };
        return f.path !== undefined && f.secret && cmd.env.includes(f.path) ? Object.values(f.secret) : [];
      });
      const change: Change = {
        key: resourceKey(cmd),
        type: "command",
        id: cmd.id,
        action: "run",
        reason: cmd.when === "always" ? "runs on every apply" : `${triggeredBy.join(", ")} changed`,
        source: formatLoc(cmd.source),
        ...(cmd.service ? { service: cmd.service } : {}),
        // What triggered it: a down plan runs its down only when one of these is reverted too.
        after: { exec: cmd.exec, phase: cmd.phase, ...(secrets.length ? { secrets } : {}), ...(cmd.when !== "always" ? { triggeredBy } : {}) },
        down: Array.isArray(cmd.down) ? { exec: cmd.down } : cmd.down,
        resource: cmd,
      };
      (cmd.phase === "after_start" ? after : before).push(change);
    }
    return { before, after, notRun, skipped };
  },
});
