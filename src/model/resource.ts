/**
 * Resources: the flat, ordered, keyed output of compile, and the input of the planner. Plain data,
 * each with a `type` tag, an `id`, and the source location of the declaration that produced it.
 */
import * as v from "valibot";
import { SecretRefSchema } from "./secret.ts";

export const SourceLocSchema = v.strictObject({ file: v.string(), line: v.number() });

const AbsPath = v.pipe(v.string(), v.startsWith("/", "must be an absolute path"));
const Rollback = v.picklist(["keep", "delete", "delete_if_created"]);
const Base = {
  id: v.string(),
  source: SourceLocSchema,
  service: v.optional(v.string()),
  /** Keys (`type:id`) of resources that must be applied first: compile adds the implicit ones. */
  requires: v.optional(v.array(v.string())),
};

export const AccountSchema = v.strictObject({
  ...Base,
  type: v.literal("account"),
  name: v.string(),
  system: v.boolean(),
  home: v.optional(AbsPath),
  shell: v.optional(v.string()),
  group: v.optional(v.string()),
  groups: v.array(v.string()),
  rollback: Rollback,
});

export const DirectorySchema = v.strictObject({
  ...Base,
  type: v.literal("directory"),
  path: AbsPath,
  owner: v.string(),
  group: v.string(),
  mode: v.number(),
  unsafeParents: v.optional(v.boolean()),
  rollback: Rollback,
});

/** File content is UTF-8 text (`content`) or arbitrary bytes (`contentBase64`). */
export const FileSchema = v.strictObject({
  ...Base,
  type: v.literal("file"),
  path: AbsPath,
  content: v.optional(v.string()),
  contentBase64: v.optional(v.string()),
  owner: v.string(),
  group: v.string(),
  mode: v.number(),
  unsafeParents: v.optional(v.boolean()),
  rollback: Rollback,
});

export const EnvFileSchema = v.strictObject({
  ...Base,
  type: v.literal("env_file"),
  path: AbsPath,
  name: v.optional(v.string()),
  set: v.record(v.string(), v.string()),
  secret: v.record(v.string(), SecretRefSchema),
  owner: v.string(),
  group: v.string(),
  mode: v.number(),
  unsafeParents: v.optional(v.boolean()),
  rollback: Rollback,
});

/** One unit file section: ordered `[directive, value]` pairs (a directive may repeat). */
export const UnitSectionsSchema = v.record(v.string(), v.array(v.tuple([v.string(), v.string()])));

const Listener = v.strictObject({ name: v.string(), port: v.number(), on: v.string() });

export const SystemdServiceSchema = v.strictObject({
  ...Base,
  type: v.literal("systemd_service"),
  name: v.string(),
  sections: UnitSectionsSchema,
  enable: v.boolean(),
  /** Keep it running: start when stopped, restart when its unit or inputs changed. */
  start: v.boolean(),
  listeners: v.array(Listener),
  /** Keys of resources whose change restarts this unit (env files, files it reads). */
  restartOn: v.array(v.string()),
  rollback: Rollback,
});

export const SystemdTimerSchema = v.strictObject({
  ...Base,
  type: v.literal("systemd_timer"),
  name: v.string(),
  sections: UnitSectionsSchema,
  enable: v.boolean(),
  start: v.boolean(),
  rollback: Rollback,
});

export const CommandDownSchema = v.union([v.array(v.string()), v.literal("noop"), v.literal("irreversible")]);

export const CommandSchema = v.strictObject({
  ...Base,
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

export const PackageSchema = v.strictObject({
  ...Base,
  type: v.literal("package"),
  name: v.string(),
  as: v.optional(v.string()),
  manager: v.optional(v.string()),
  update: v.boolean(),
  rollback: Rollback,
});

export const ResourceSchema = v.variant("type", [
  AccountSchema,
  DirectorySchema,
  FileSchema,
  EnvFileSchema,
  SystemdServiceSchema,
  SystemdTimerSchema,
  CommandSchema,
  PackageSchema,
]);

export type Account = v.InferOutput<typeof AccountSchema>;
export type Directory = v.InferOutput<typeof DirectorySchema>;
export type FileRes = v.InferOutput<typeof FileSchema>;
export type EnvFile = v.InferOutput<typeof EnvFileSchema>;
export type SystemdService = v.InferOutput<typeof SystemdServiceSchema>;
export type SystemdTimer = v.InferOutput<typeof SystemdTimerSchema>;
export type Command = v.InferOutput<typeof CommandSchema>;
export type Package = v.InferOutput<typeof PackageSchema>;
export type Resource = v.InferOutput<typeof ResourceSchema>;
export type ResourceType = Resource["type"];
export type UnitSections = v.InferOutput<typeof UnitSectionsSchema>;
export type RollbackPolicy = v.InferOutput<typeof Rollback>;

export const RESOURCE_TYPES: readonly ResourceType[] = [
  "account",
  "directory",
  "file",
  "env_file",
  "systemd_service",
  "systemd_timer",
  "command",
  "package",
];

export function resourceKey(r: { type: string; id: string }): string {
  return `${r.type}:${r.id}`;
}

/** Parse `type:id` (the id may itself contain colons). */
export function parseKey(key: string): { type: string; id: string } | undefined {
  const i = key.indexOf(":");
  if (i <= 0 || i === key.length - 1) return undefined;
  return { type: key.slice(0, i), id: key.slice(i + 1) };
}
