/**
 * `command`: runs at its phase when its service changes in the plan (or on every apply with
 * `when: "always"`). Nothing to read on the host; the planner decides when it runs.
 */
import type { Command } from "../model/resource.ts";
import { RUN_COMMAND } from "./scripts.ts";
import type { Kind } from "./types.ts";

export const command: Kind<Command, null> = {
  type: "command",
  probe: () => [],
  parse: () => null,
  diff: () => ({ action: "noop", reason: "nothing changed for it" }),
  ops(change, ctx) {
    const r = change.resource as Command;
    const argv = ["sh", "-c", RUN_COMMAND, "hostkit-run", r.user ?? "", r.workingDirectory ?? "", String(r.env.length), ...r.env, ...r.exec];
    return [{ label: `run ${r.name}: ${r.exec.join(" ")}`, argv, ...(ctx.root ? { skip: "offline root: commands run only on live hosts" } : {}) }];
  },
};
