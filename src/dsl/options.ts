/**
 * The options every DSL declaration takes: documented TypeScript types (what editors show) and the
 * valibot schemas that check them at load time (unknown keys and wrong types become diagnostics).
 * `Same<>` checks at compile time that each type and its schema agree.
 */
import * as v from "valibot";
import type { Address } from "../model/address.ts";
import type { Mode } from "../model/mode.ts";
import { DaemonMonitorSchema, type DaemonMonitor } from "../model/monitor.ts";
import { SecretRefSchema, type SecretRef } from "../model/secret.ts";
import { SANDBOX_KEYS, type SandboxOptions } from "../runtime/sandbox.ts";
import { RESOURCE_KEYS, type ResourceOptions, type ResourceProfile, RESOURCE_PROFILES } from "../runtime/resources.ts";
import { accountNameProblem, calendarProblem, passwdPathProblem, timeSpanProblem } from "./names.ts";

const AbsPath = v.pipe(v.string(), v.startsWith("/", "must be an absolute path"));
const Name = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/, "may contain only letters, digits, '_', '-', '.', '@'"));
const ModeSchema = v.custom<Mode>(() => true); // normalized (and checked) by normalizeMode
/** Explicit dependencies: resource keys (compile checks that each names a declared resource). */
const RequiresSchema = v.optional(v.array(v.pipe(v.string(), v.regex(/^[a-z_]+:\S/, "must be a resource key such as directory:/srv/app"))));
const AddressSchema = v.custom<Address>(() => true); // normalized (and checked) by normalizeAddress
const Rollback = v.picklist(["keep", "delete", "delete_if_created"]);
const OneOrMany = v.union([v.string(), v.array(v.string())]);
const Argv = v.pipe(v.array(v.string()), v.minLength(1, "needs at least the program"));
/** A schema that refuses what `problem` names (the message is the problem itself). */
const checked = (problem: (x: string) => string | undefined) => v.pipe(v.string(), v.check((x) => problem(x) === undefined, (i) => problem(String(i.input)) ?? "is invalid"));
const AccountName = checked(accountNameProblem);
const PasswdPath = checked(passwdPathProblem);
const Calendar = checked(calendarProblem);
const TimeSpan = checked(timeSpanProblem);

/** Rollback policy for a created resource when a down plan is derived. */
export type Rollback = "keep" | "delete" | "delete_if_created";

// ───────────────────────────────────────────────────────────── project level

/** Named filesystem roots; services get `<root>/<service>` paths from them. */
export type Roots = Record<string, string>;
export const RootsSchema = v.record(v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_]*$/)), AbsPath);

export interface Prefixes {
  /** Prefix of service account names. @example user: "toys-" */
  user?: string;
  /** Prefix of unit names. @example unit: "toys-" */
  unit?: string;
}
export const PrefixesSchema = v.strictObject({ user: v.optional(v.string()), unit: v.optional(v.string()) });

export interface RetryOptions {
  /** Connection attempts in all. @example attempts: 3 */
  attempts: number;
  /** First delay in ms, doubled each attempt. @example baseDelay: 250 */
  baseDelay?: number;
  /** Longest delay in ms. @example maxDelay: 2000 */
  maxDelay?: number;
}

export interface SshOptions {
  /** Login user. @example user: "deploy" */
  user?: string;
  /** SSH port. @example port: 2222 */
  port?: number;
  /** Run every command through `sudo -n`. @example sudo: true */
  sudo?: boolean;
  /** Private key file ("~" is expanded). @example identityFile: "~/.ssh/id_ed25519" */
  identityFile?: string;
  /** Password, literal or (better) a secret reference. @example password: secretEnv("HOSTKIT_SSH_PASSWORD") */
  password?: string | SecretRef;
  /** Accept and record an unknown host key. A changed key is always refused. @example acceptHosts: true */
  acceptHosts?: boolean;
  /** known_hosts file to verify against. @example knownHostsFile: "~/.ssh/known_hosts" */
  knownHostsFile?: string;
  /** Retry establishing the connection (never a command already sent). @example retry: { attempts: 3, baseDelay: 250, maxDelay: 2000 } */
  retry?: number | false | RetryOptions;
}
export const SshSchema = v.strictObject({
  user: v.optional(v.string()),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))),
  sudo: v.optional(v.boolean()),
  identityFile: v.optional(v.string()),
  password: v.optional(v.union([v.string(), SecretRefSchema])),
  acceptHosts: v.optional(v.boolean()),
  knownHostsFile: v.optional(v.string()),
  retry: v.optional(
    v.union([
      v.pipe(v.number(), v.integer(), v.minValue(1)),
      v.literal(false),
      v.strictObject({ attempts: v.pipe(v.number(), v.integer(), v.minValue(1)), baseDelay: v.optional(v.number()), maxDelay: v.optional(v.number()) }),
    ]),
  ),
});

export interface HostOptions {
  /** Address or DNS name to connect to. @example at: "elixir.toys" */
  at: string;
  /** Connection settings. @example ssh: { user: "dannote", sudo: true } */
  ssh?: SshOptions;
}
export const HostSchema = v.strictObject({ at: v.pipe(v.string(), v.minLength(1)), ssh: v.optional(SshSchema) });

export interface RunsOptions {
  /** Where tracked applies keep run records (relative to the infra file). @example root: ".hostkit/runs" */
  root?: string;
  /** Where backup payloads go (default `<root>/../hostkit_backups`). @example backups: ".hostkit/hostkit_backups" */
  backups?: string;
}
export const RunsSchema = v.strictObject({ root: v.optional(v.string()), backups: v.optional(v.string()) });

// ───────────────────────────────────────────────────────────── resources

export interface AccountOptions {
  /** A system account (no aging, low uid, nologin shell). @example system: true */
  system?: boolean;
  /** Home directory. @example home: "/var/lib/toys/exograph/home" */
  home?: string;
  /** Login shell. @example shell: "/usr/sbin/nologin" */
  shell?: string;
  /** Primary group (default: a group named like the account). @example group: "toys" */
  group?: string;
  /** Supplementary groups. @example groups: ["systemd-journal"] */
  groups?: string[];
  /** What a down plan does with it (default "keep"). @example rollback: "keep" */
  rollback?: Rollback;
}
export const AccountSchema = v.strictObject({
  system: v.optional(v.boolean()),
  home: v.optional(PasswdPath),
  shell: v.optional(PasswdPath),
  group: v.optional(AccountName),
  groups: v.optional(v.array(AccountName)),
  rollback: v.optional(Rollback),
});

export interface DirectoryOptions {
  /** Mode in any form. @example mode: 0o750 */
  mode?: Mode;
  /** Owner (default root, or the service account inside a service that has one). @example owner: "toys-web" */
  owner?: string;
  /** Group (default: the owner's). @example group: "toys-web" */
  group?: string;
  /** Kept by down plans unless "delete_if_created". @example rollback: "delete_if_created" */
  rollback?: Rollback;
  /**
   * Live hosts: write even when a parent directory is a symbolic link or is owned by a user other than
   * root and this declaration's owner. By default HostKit refuses, because such a user can swap what
   * lies below for a link to /etc while root writes. Offline roots always refuse links.
   * @example unsafeParents: true
   */
  unsafeParents?: boolean;
  /** Resources applied before this one, by key as `hostkit dump` prints them (parents, owners and a service's packages come first anyway). @example dependsOn: ["directory:/srv/app"] */
  dependsOn?: string[];
}
export const DirectorySchema = v.strictObject({
  mode: v.optional(ModeSchema),
  owner: v.optional(Name),
  group: v.optional(Name),
  rollback: v.optional(Rollback),
  unsafeParents: v.optional(v.boolean()),
  dependsOn: RequiresSchema,
});

export interface FileOptions {
  /** The content, text or bytes. @example content: "import Config\n" */
  content?: string | Uint8Array;
  /** Read the content from a local file (relative to the infra file) at load time. @example source: "./files/app.conf" */
  source?: string;
  /** @example mode: 0o640 */
  mode?: Mode;
  /** @example owner: "root" */
  owner?: string;
  /** @example group: "gh-relay" */
  group?: string;
  /** Down plans delete a created file unless "keep". @example rollback: "keep" */
  rollback?: Rollback;
  /**
   * Declared in a service: what its daemon does when this changes (default "restart"; "reload" runs
   * `systemctl reload`, which needs the daemon's `execReload`; false: nothing). @example notify: "reload"
   */
  notify?: "restart" | "reload" | false;
  /**
   * Live hosts: write even when a parent directory is a symbolic link or is owned by a user other than
   * root and this declaration's owner. By default HostKit refuses, because such a user can swap what
   * lies below for a link to /etc while root writes. Offline roots always refuse links.
   * @example unsafeParents: true
   */
  unsafeParents?: boolean;
  /** Resources applied before this one, by key as `hostkit dump` prints them (parents, owners and a service's packages come first anyway). @example dependsOn: ["directory:/srv/app"] */
  dependsOn?: string[];
}
const Notify = v.union([v.picklist(["restart", "reload"]), v.literal(false)]);
export const FileSchema = v.strictObject({
  notify: v.optional(Notify),
  content: v.optional(v.union([v.string(), v.instance(Uint8Array)])),
  source: v.optional(v.string()),
  mode: v.optional(ModeSchema),
  owner: v.optional(Name),
  group: v.optional(Name),
  rollback: v.optional(Rollback),
  unsafeParents: v.optional(v.boolean()),
  dependsOn: RequiresSchema,
});

export interface EnvOptions {
  /** Plain values (compared for drift). @example set: { MIX_ENV: "prod", PORT: 4000 } */
  set?: Record<string, string | number | boolean>;
  /** Secret values, read from the controller's environment at apply time only. @example secret: { SECRET_KEY_BASE: { env: "SECRET_KEY_BASE" } } */
  secret?: Record<string, { env: string } | SecretRef>;
  /**
   * What the daemons that load it (and, declared in a service, its daemon) do when it changes (default "restart"; "reload" runs
   * `systemctl reload`, which needs the daemon's `execReload`; false: nothing). @example notify: "reload"
   */
  notify?: "restart" | "reload" | false;
  /** @example mode: "private_file" */
  mode?: Mode;
  /** @example owner: "root" */
  owner?: string;
  /** @example group: "toys-web" */
  group?: string;
  /**
   * Live hosts: write even when a parent directory is a symbolic link or is owned by a user other than
   * root and this declaration's owner. By default HostKit refuses, because such a user can swap what
   * lies below for a link to /etc while root writes. Offline roots always refuse links.
   * @example unsafeParents: true
   */
  unsafeParents?: boolean;
  /** Resources applied before this one, by key as `hostkit dump` prints them (parents, owners and a service's packages come first anyway). @example dependsOn: ["directory:/srv/app"] */
  dependsOn?: string[];
}
const EnvKey = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid environment variable name"));
export const EnvSchema = v.strictObject({
  notify: v.optional(Notify),
  set: v.optional(v.record(EnvKey, v.union([v.string(), v.number(), v.boolean()]))),
  secret: v.optional(v.record(EnvKey, v.union([v.strictObject({ env: v.string() }), SecretRefSchema]))),
  mode: v.optional(ModeSchema),
  owner: v.optional(Name),
  group: v.optional(Name),
  unsafeParents: v.optional(v.boolean()),
  dependsOn: RequiresSchema,
});

export interface StorageOptions {
  /** The root this storage lives under (default: the storage's own name). @example under: "data" */
  under?: string;
  /** A sub-path below `<root>/<service>`. @example path: "repositories" */
  path?: string;
  /** @example mode: 0o750 */
  mode?: Mode;
  /** @example owner: "root" */
  owner?: string;
  /** @example group: "toys-forgejo" */
  group?: string;
  /** Writable by the service under a read-only system (default true). @example writable: false */
  writable?: boolean;
  /** Holds secrets: kept out of world-readable modes. @example secret: true */
  secret?: boolean;
  /** Include in backups. @example backup: true */
  backup?: boolean;
  /** @example rollback: "keep" */
  rollback?: Rollback;
  /**
   * Live hosts: write even when a parent directory is a symbolic link or is owned by a user other than
   * root and this declaration's owner. By default HostKit refuses, because such a user can swap what
   * lies below for a link to /etc while root writes. Offline roots always refuse links.
   * @example unsafeParents: true
   */
  unsafeParents?: boolean;
  /** Resources applied before this one, by key as `hostkit dump` prints them (parents, owners and a service's packages come first anyway). @example dependsOn: ["directory:/srv/app"] */
  dependsOn?: string[];
}
export const StorageSchema = v.strictObject({
  under: v.optional(v.string()),
  path: v.optional(v.pipe(v.string(), v.check((p) => !p.startsWith("/") && !p.split("/").includes(".."), "must be a relative path without '..'"))),
  mode: v.optional(ModeSchema),
  owner: v.optional(Name),
  group: v.optional(Name),
  writable: v.optional(v.boolean()),
  secret: v.optional(v.boolean()),
  backup: v.optional(v.boolean()),
  rollback: v.optional(Rollback),
  unsafeParents: v.optional(v.boolean()),
  dependsOn: RequiresSchema,
});

export interface PackageOptions {
  /** The exact package name on the target (no Repology lookup). @example as: "build-essential" */
  as?: string;
  /** Pin a package manager. @example manager: "apt" */
  manager?: "apt" | "dnf" | "apk" | "pacman";
  /** Refresh the package index first (once per apply, before the one install). @example update: true */
  update?: boolean;
  /** An exact version (apt, dnf, apk; pacman cannot pin). @example version: "1.6-2.1" */
  version?: string;
  /** Packages are kept by down plans by default; "delete" removes what the run installed. @example rollback: "keep" */
  rollback?: Rollback;
}
/** Package names and versions go into a manager's argv: no spaces, quotes, `$`, `;`, leading `-`. */
const PkgWord = v.pipe(v.string(), v.regex(/^[A-Za-z0-9@_+][A-Za-z0-9@._+:~-]{0,127}$/, "is not a package name or version (letters, digits, '@', '.', '_', '+', ':', '~', '-'; no spaces or shell characters)"));
export const PackageSchema = v.strictObject({
  as: v.optional(PkgWord),
  manager: v.optional(v.picklist(["apt", "dnf", "apk", "pacman"], 'must be one of "apt", "dnf", "apk", "pacman"')),
  update: v.optional(v.boolean()),
  version: v.optional(PkgWord),
  rollback: v.optional(Rollback),
});

export interface MiseOptions {
  /** Tools and exact versions, installed system-wide with `mise install --system`. @example tools: { erlang: "29.0.2", "npm:cowsay": "1.6.0" } */
  tools: Record<string, string>;
  /** The mise install script (the mise.run contract). @example installUrl: "https://mise.run" */
  installUrl?: string;
  /** MISE_SYSTEM_DATA_DIR. @example dataDir: "/usr/local/share/mise" */
  dataDir?: string;
}
export const MiseSchema = v.strictObject({
  tools: v.record(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.\/@:+-]{0,127}$/, "is not a mise tool name")),
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, "is not an exact version (letters, digits, '.', '_', '+', '-')")),
  ),
  installUrl: v.optional(v.pipe(v.string(), v.regex(/^https?:\/\/[^\s'"`$\\]+$/, "must be an http(s) URL without spaces or quotes"))),
  dataDir: v.optional(v.pipe(v.string(), v.regex(/^\/[A-Za-z0-9._\/-]*$/, "must be an absolute path"))),
});

export interface CommandOptions {
  /** The argv to run on the host. @example exec: ["bin/app", "eval", "App.Release.migrate()"] */
  exec: string[];
  /** When, relative to starting the service (default "before_start"). @example phase: "before_start" */
  phase?: "before_start" | "after_start";
  /** Run when the service changes (default) or on every apply. @example when: "always" */
  when?: "changed" | "always";
  /** The semantic opposite for down plans. @example down: ["bin/app", "eval", "App.Release.rollback()"] */
  down?: string[] | "noop" | "irreversible";
  /** Run as this user (default the service account, if any). @example user: "toys-web" */
  user?: string;
  /** Working directory. @example workingDirectory: "/opt/toys/src/web" */
  workingDirectory?: string;
  /** Env declarations (names) or env file paths loaded first. @example env: ["runtime"] */
  env?: string[];
  /** Resources applied before this one, by key as `hostkit dump` prints them (parents, owners and a service's packages come first anyway). @example dependsOn: ["directory:/srv/app"] */
  dependsOn?: string[];
}
export const CommandSchema = v.strictObject({
  exec: Argv,
  phase: v.optional(v.picklist(["before_start", "after_start"])),
  when: v.optional(v.picklist(["changed", "always"])),
  down: v.optional(v.union([Argv, v.literal("noop"), v.literal("irreversible")])),
  user: v.optional(Name),
  workingDirectory: v.optional(AbsPath),
  env: v.optional(v.array(v.string())),
  dependsOn: RequiresSchema,
});

// ───────────────────────────────────────────────────────────── daemon

export interface Listener {
  /** TCP port. @example port: 4000 */
  port: number;
  /** Address it binds (default "loopback"). @example on: [127, 0, 0, 1] */
  on?: Address;
}
export const ListenerSchema = v.strictObject({
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
  on: v.optional(AddressSchema),
});

export type NetworkMode = "loopback" | "any" | "none";

export interface IsolateOptions extends SandboxOptions {
  /** Start from a profile. @example profile: "strict_app" */
  profile?: "vibe_dev" | "strict_app" | "untrusted" | "web_service" | "strict_web";
  /** Storage names or absolute paths the service may write under a read-only system. @example writable: ["data", "state"] */
  writable?: string[];
  /** Network reach: loopback only, anything, or no network at all. @example network: "loopback" */
  network?: NetworkMode;
}
export const IsolateSchema = v.strictObject({
  ...SANDBOX_KEYS,
  profile: v.optional(v.picklist(["vibe_dev", "strict_app", "untrusted", "web_service", "strict_web"])),
  writable: v.optional(v.array(v.string())),
  network: v.optional(v.picklist(["loopback", "any", "none"])),
});

export interface NetworkPolicy {
  /** Deny everything not allowed. @example deny: "all" */
  deny?: "all" | "any";
  /** Addresses allowed. @example allow: ["loopback", [10, 44, 0, 0, 24]] */
  allow?: Address[];
}
export const NetworkPolicySchema = v.strictObject({
  deny: v.optional(v.picklist(["all", "any"])),
  allow: v.optional(v.array(AddressSchema)),
});

export interface LogsOptions {
  /** SyslogIdentifier. @example identifier: "exograph" */
  identifier?: string;
  /** StandardOutput. @example stdout: "journal" */
  stdout?: "journal" | "null" | "inherit" | "kmsg";
  /** StandardError. @example stderr: "journal" */
  stderr?: "journal" | "null" | "inherit" | "kmsg";
}
const Output = v.picklist(["journal", "null", "inherit", "kmsg"]);
export const LogsSchema = v.strictObject({
  identifier: v.optional(v.pipe(v.string(), v.regex(/^[^\s]+$/, "must not contain whitespace"))),
  stdout: v.optional(Output),
  stderr: v.optional(Output),
});

export interface RunOptions {
  /** Run as this user. @example user: "toys-forgejo" */
  user?: string;
  /** Run with this group. @example group: "toys-forgejo" */
  group?: string;
  /** Alias of the daemon's `exec`. @example execStart: ["mix", "phx.server"] */
  execStart?: string[];
  /** Extra writable paths. @example readWritePaths: ["/srv/toys/forgejo"] */
  readWritePaths?: string[];
}
export const RunSchema = v.strictObject({
  user: v.optional(Name),
  group: v.optional(Name),
  execStart: v.optional(Argv),
  readWritePaths: v.optional(v.array(AbsPath)),
});

export type TargetAlias = "network_online" | "network" | "multi_user" | (string & {});
export type RestartPolicy = "no" | "on_success" | "on_failure" | "on_abnormal" | "on_watchdog" | "on_abort" | "always";

export interface DaemonOptions {
  /** Unit name (default `<unit prefix><service>.service`). @example name: "toys-web.service" */
  name?: string;
  /** @example description: "Exograph search" */
  description?: string;
  /** Order after these targets. @example afterTarget: "network_online" */
  afterTarget?: TargetAlias | TargetAlias[];
  /** Order after these units. @example after: ["postgresql.service"] */
  after?: string | string[];
  /** Weak dependencies. @example wants: "network_online" */
  wants?: TargetAlias | TargetAlias[];
  /** Hard dependencies. @example requires: ["postgresql.service"] */
  requires?: string | string[];
  /** @example workingDirectory: s.rootPath("source") */
  workingDirectory?: string;
  /** The program and its arguments (quoted for systemd exactly). @example exec: ["/usr/local/bin/mix", "exograph.index.hex", "--web"] */
  exec?: string[];
  /**
   * How it reloads its configuration (ExecReload=; systemd sets $MAINPID in its environment). Needed for
   * `notify: "reload"`: systemd cannot reload a unit without it. @example execReload: ["/bin/sh", "-c", "kill -HUP \"$MAINPID\""]
   */
  execReload?: string[];
  /** Service Type=. @example type: "notify" */
  type?: "simple" | "exec" | "notify" | "oneshot" | "forking";
  /** @example restart: "on_failure" */
  restart?: RestartPolicy;
  /** Seconds. @example restartSec: 10 */
  restartSec?: number;
  /** Env declarations of this service (by name) or env file paths. @example env: ["runtime"] */
  env?: string[];
  /** Inline, non-secret environment. @example environment: { LANG: "C.UTF-8" } */
  environment?: Record<string, string>;
  /** Named listeners. @example listen: { http: { port: 4000, on: "loopback" } } */
  listen?: Record<string, Listener>;
  /** Sandboxing. @example isolate: { profile: "strict_app", writable: ["data"], network: "loopback" } */
  isolate?: IsolateOptions;
  /** Resource limits: a profile, directives, or a profile with overrides. @example resources: { profile: "small", memoryMax: "512M" } */
  resources?: ResourceProfile | (ResourceOptions & { profile?: ResourceProfile });
  /** IP allow/deny lists. @example networkPolicy: { deny: "all", allow: ["loopback", [10, 44, 0, 0, 24]] } */
  networkPolicy?: NetworkPolicy;
  /** Journald identifiers and outputs. @example logs: { identifier: "exograph", stdout: "journal", stderr: "journal" } */
  logs?: LogsOptions;
  /** Run-as and paths, as in the seed's `run`. @example run: { user: "toys-forgejo", readWritePaths: s.writableStoragePaths() } */
  run?: RunOptions;
  /** Install target (default "multi-user.target"). @example wantedBy: "default.target" */
  wantedBy?: string;
  /** Enable at boot (default true). @example enable: false */
  enable?: boolean;
  /** Keep it running (default true). @example start: false */
  start?: boolean;
  /** Resources applied before this one, by key as `hostkit dump` prints them (parents, owners and a service's packages come first anyway). @example dependsOn: ["directory:/srv/app"] */
  dependsOn?: string[];
  /**
   * Other resources whose change restarts this daemon, by key (files and env files of its own service
   * already do). @example restartOn: ["file:/etc/app/app.toml"]
   */
  restartOn?: string[];
  /**
   * Monitoring intent, recorded for the monitoring service (HostKit runs no check itself).
   * @example monitor: { systemd: { expect: { state: "active" } }, severity: "critical" }
   */
  monitor?: DaemonMonitor;
}
const Targets = v.union([v.string(), v.array(v.string())]);
export const DaemonSchema = v.strictObject({
  restartOn: v.optional(v.array(v.pipe(v.string(), v.regex(/^[a-z_]+:./, "must be a resource key such as file:/etc/app/app.toml")))),
  name: v.optional(v.string()),
  description: v.optional(v.pipe(v.string(), v.regex(/^[^\n]*$/, "must be one line"))),
  afterTarget: v.optional(Targets),
  after: v.optional(OneOrMany),
  wants: v.optional(Targets),
  requires: v.optional(OneOrMany),
  workingDirectory: v.optional(AbsPath),
  exec: v.optional(Argv),
  execReload: v.optional(Argv),
  type: v.optional(v.picklist(["simple", "exec", "notify", "oneshot", "forking"])),
  restart: v.optional(v.picklist(["no", "on_success", "on_failure", "on_abnormal", "on_watchdog", "on_abort", "always"])),
  restartSec: v.optional(v.pipe(v.number(), v.minValue(0))),
  env: v.optional(v.array(v.string())),
  environment: v.optional(v.record(EnvKey, v.string())),
  listen: v.optional(v.record(v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_]*$/)), ListenerSchema)),
  isolate: v.optional(IsolateSchema),
  resources: v.optional(v.union([v.picklist(RESOURCE_PROFILES), v.strictObject({ profile: v.optional(v.picklist(RESOURCE_PROFILES)), ...RESOURCE_KEYS })])),
  networkPolicy: v.optional(NetworkPolicySchema),
  logs: v.optional(LogsSchema),
  run: v.optional(RunSchema),
  wantedBy: v.optional(v.string()),
  enable: v.optional(v.boolean()),
  start: v.optional(v.boolean()),
  dependsOn: RequiresSchema,
  monitor: v.optional(DaemonMonitorSchema),
});

export interface TimerOptions {
  /** When to run (systemd calendar spec). @example onCalendar: "daily" */
  onCalendar?: string;
  /** Run this long after boot. @example onBootSec: "5min" */
  onBootSec?: string;
  /** Run this long after the last run. @example onUnitActiveSec: "1h" */
  onUnitActiveSec?: string;
  /** Catch up on missed runs. @example persistent: true */
  persistent?: boolean;
  /** @example randomizedDelaySec: "10m" */
  randomizedDelaySec?: string;
  /** @example description: "Nightly backup" */
  description?: string;
  /** The job's argv. @example exec: ["/usr/local/bin/backup", "--all"] */
  exec: string[];
  /** Run as (default the service account). @example user: "toys-backup" */
  user?: string;
  /** Sandboxing of the job. @example isolate: { profile: "strict_app", writable: ["data"] } */
  isolate?: IsolateOptions;
  /** Env declarations or paths. @example env: ["runtime"] */
  env?: string[];
  /** Resources applied before this one, by key as `hostkit dump` prints them (parents, owners and a service's packages come first anyway). @example dependsOn: ["directory:/srv/app"] */
  dependsOn?: string[];
}
export const TimerSchema = v.strictObject({
  onCalendar: v.optional(Calendar),
  onBootSec: v.optional(TimeSpan),
  onUnitActiveSec: v.optional(TimeSpan),
  persistent: v.optional(v.boolean()),
  randomizedDelaySec: v.optional(TimeSpan),
  description: v.optional(v.pipe(v.string(), v.regex(/^[^\n]*$/, "must be one line"))),
  exec: Argv,
  user: v.optional(Name),
  isolate: v.optional(IsolateSchema),
  env: v.optional(v.array(v.string())),
  dependsOn: RequiresSchema,
});

// Compile-time agreement between each documented type and its schema.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type _Agree = [
  Assert<Same<v.InferInput<typeof PrefixesSchema>, Prefixes>>,
  Assert<Same<v.InferInput<typeof AccountSchema>, AccountOptions>>,
  Assert<Same<v.InferInput<typeof DirectorySchema>, DirectoryOptions>>,
  Assert<Same<v.InferInput<typeof StorageSchema>, StorageOptions>>,
  Assert<Same<v.InferInput<typeof PackageSchema>, PackageOptions>>,
  Assert<Same<v.InferInput<typeof MiseSchema>, MiseOptions>>,
  Assert<Same<v.InferInput<typeof CommandSchema>, CommandOptions>>,
  Assert<Same<v.InferInput<typeof LogsSchema>, LogsOptions>>,
  Assert<Same<v.InferInput<typeof RunSchema>, RunOptions>>,
];
