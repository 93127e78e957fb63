/** @internal The verbs of `hostkit`, loaded lazily (`hostkit --version` must not parse ssh2), and their examples. */
import type { CommandDef } from "citty";

export interface Verb {
  summary: string;
  load: () => Promise<CommandDef>;
  /** 2–3 real command lines, shown at the end of the verb's help (the help test checks their flags). */
  examples: string[];
}

const def = (m: { default: unknown }) => m.default as CommandDef;

export const VERBS: Record<string, Verb> = {
  plan: {
    summary: "Read the target, diff it against the infra file, print the plan",
    load: () => import("./plan.ts").then(def),
    examples: [
      "hostkit plan infra/config.ts --host prod",
      "hostkit plan infra/config.ts --root /tmp/preview --out up.plan.json",
      "hostkit plan infra/config.ts --host prod --detailed-exitcode --ignore 'command:*'",
    ],
  },
  apply: {
    summary: "Plan, confirm and apply a project, or apply a saved plan",
    load: () => import("./apply.ts").then(def),
    examples: [
      "hostkit apply infra/config.ts --host prod",
      "hostkit apply --plan up.plan.json --confirm",
      "hostkit apply infra/config.ts --host prod --track --rollback-on-failure --confirm",
    ],
  },
  down: {
    summary: "Derive the down (rollback) plan of an up plan or a tracked run",
    load: () => import("./down.ts").then(def),
    examples: [
      "hostkit down up.plan.json --out down.plan.json",
      "hostkit down infra/config.ts --host prod --last --out down.plan.json",
      "hostkit down infra/config.ts --host prod --last --only 'file:/etc/toys/*'",
    ],
  },
  backup: {
    summary: "Copy the storage declared with backup: true off each target (tar)",
    load: () => import("./backup.ts").then(def),
    examples: ["hostkit backup infra/config.ts --host prod --out backups/", "hostkit backup infra/config.ts --root /srv/image --out /tmp/bk --json"],
  },
  ssh: {
    summary: "Open a shell on the host inside an instance (or a declared host)",
    load: () => import("./ssh.ts").then(def),
    examples: ["hostkit ssh infra/config.ts demo_vm", "hostkit ssh infra/config.ts demo_vm -- systemctl status web"],
  },
  show: {
    summary: "Print a saved plan file",
    load: () => import("./show.ts").then(def),
    examples: ["hostkit show up.plan.json", "hostkit show down.plan.json --json"],
  },
  runs: {
    summary: "List tracked runs, or prune old ones",
    load: () => import("./runs.ts").then(def),
    examples: ["hostkit runs infra/config.ts --host prod", "hostkit runs infra/config.ts --latest", "hostkit runs infra/config.ts --prune --keep 10"],
  },
  dump: {
    summary: "Print the compiled project: hosts and resources",
    load: () => import("./dump.ts").then(def),
    examples: ["hostkit dump infra/config.ts", "hostkit dump infra/config.ts --json | jq '.resources[].key'"],
  },
  render: {
    summary: "Print one rendered artifact (unit file, env file, file content)",
    load: () => import("./render.ts").then(def),
    examples: ["hostkit render infra/config.ts systemd_service toys-web.service", "hostkit render infra/config.ts file /etc/toys/web.conf"],
  },
  init: {
    summary: "Write tsconfig.json and type declarations so editors check infra files",
    load: () => import("./init.ts").then(def),
    examples: ["hostkit init infra/", "hostkit init infra/config.ts --force"],
  },
  schema: {
    summary: "Print the JSON Schema of a JSON output",
    load: () => import("./schema.ts").then(def),
    examples: ["hostkit schema plan > plan.schema.json", "hostkit schema events"],
  },
  help: {
    summary: "Show help for hostkit or one command",
    load: async () => ({ meta: { name: "help", description: "Show help for hostkit or one command" }, args: { command: { type: "positional", description: "A command", required: false, valueHint: "COMMAND" } } }) as CommandDef,
    examples: ["hostkit help", "hostkit help apply"],
  },
};
