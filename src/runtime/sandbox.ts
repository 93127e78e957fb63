/**
 * Sandbox profiles shared by persistent systemd units (and later transient runtimes).
 * `Sandbox.new("strict_app")` gives plain data; `Sandbox.toSystemdServiceOptions()` gives directives.
 */
import { type DirectiveTable, type DirectiveValue, schemaFor, type SystemdOptions, toOptions } from "./directives.ts";

export const SANDBOX_TABLE = {
  dynamicUser: ["DynamicUser", "bool"],
  noNewPrivileges: ["NoNewPrivileges", "bool"],
  protectSystem: ["ProtectSystem", "string"],
  protectHome: ["ProtectHome", "string"],
  privateTmp: ["PrivateTmp", "bool"],
  privateDevices: ["PrivateDevices", "bool"],
  privateNetwork: ["PrivateNetwork", "bool"],
  privateUsers: ["PrivateUsers", "bool"],
  privateIpc: ["PrivateIPC", "bool"],
  privateMounts: ["PrivateMounts", "bool"],
  protectKernelTunables: ["ProtectKernelTunables", "bool"],
  protectKernelModules: ["ProtectKernelModules", "bool"],
  protectKernelLogs: ["ProtectKernelLogs", "bool"],
  protectControlGroups: ["ProtectControlGroups", "bool"],
  protectClock: ["ProtectClock", "bool"],
  protectHostname: ["ProtectHostname", "bool"],
  protectProc: ["ProtectProc", "string"],
  procSubset: ["ProcSubset", "string"],
  restrictSuidSgid: ["RestrictSUIDSGID", "bool"],
  restrictNamespaces: ["RestrictNamespaces", "string"],
  restrictRealtime: ["RestrictRealtime", "bool"],
  lockPersonality: ["LockPersonality", "bool"],
  memoryDenyWriteExecute: ["MemoryDenyWriteExecute", "bool"],
  removeIpc: ["RemoveIPC", "bool"],
  keyringMode: ["KeyringMode", "string"],
  devicePolicy: ["DevicePolicy", "string"],
  systemCallArchitectures: ["SystemCallArchitectures", "list"],
  systemCallFilter: ["SystemCallFilter", "lines"],
  systemCallErrorNumber: ["SystemCallErrorNumber", "string"],
  capabilityBoundingSet: ["CapabilityBoundingSet", "list"],
  ambientCapabilities: ["AmbientCapabilities", "list"],
  restrictAddressFamilies: ["RestrictAddressFamilies", "list"],
  ipAddressDeny: ["IPAddressDeny", "list"],
  ipAddressAllow: ["IPAddressAllow", "list"],
  umask: ["UMask", "string"],
  readOnlyPaths: ["ReadOnlyPaths", "list"],
  inaccessiblePaths: ["InaccessiblePaths", "list"],
  memoryMax: ["MemoryMax", "string"],
  memoryHigh: ["MemoryHigh", "string"],
  cpuQuota: ["CPUQuota", "string"],
  tasksMax: ["TasksMax", "string"],
} as const satisfies DirectiveTable;

export type SandboxKey = keyof typeof SANDBOX_TABLE;
/** Hardening directives, camelCase. Every key maps to the systemd directive of the same name. */
export type SandboxOptions = {
  /** @example noNewPrivileges: true */
  [K in SandboxKey]?: (typeof SANDBOX_TABLE)[K][1] extends "bool" ? boolean : (typeof SANDBOX_TABLE)[K][1] extends "list" | "lines" ? string | string[] : string | number;
};
export const SANDBOX_KEYS = schemaFor(SANDBOX_TABLE);

const kernel = {
  protectKernelTunables: true,
  protectKernelModules: true,
  protectKernelLogs: true,
  protectControlGroups: true,
} as const;

const strictApp: SandboxOptions = {
  noNewPrivileges: true,
  protectSystem: "strict",
  protectHome: "yes",
  privateTmp: true,
  privateDevices: true,
  privateUsers: true,
  privateMounts: true,
  ...kernel,
  protectClock: true,
  protectHostname: true,
  protectProc: "invisible",
  procSubset: "pid",
  restrictSuidSgid: true,
  restrictNamespaces: "yes",
  restrictRealtime: true,
  lockPersonality: true,
  memoryDenyWriteExecute: true,
  removeIpc: true,
  keyringMode: "private",
  devicePolicy: "closed",
  systemCallArchitectures: "native",
  systemCallFilter: ["@system-service", "~@privileged @resources @mount @debug @cpu-emulation @obsolete @raw-io @reboot @swap"],
  systemCallErrorNumber: "EPERM",
  capabilityBoundingSet: "",
  ambientCapabilities: "",
  restrictAddressFamilies: ["AF_INET", "AF_INET6", "AF_UNIX"],
  umask: "0077",
};

/** Built-in profiles. */
export const SANDBOX_PROFILES = {
  /** Basic hardening that almost any web service tolerates. */
  web_service: { noNewPrivileges: true, privateTmp: true, protectSystem: "full", protectHome: "yes", ...kernel, restrictSuidSgid: true },
  /** A read-only system with only declared writable paths; JITs still work. */
  strict_web: {
    noNewPrivileges: true,
    protectSystem: "strict",
    protectHome: "yes",
    privateTmp: true,
    privateDevices: true,
    ...kernel,
    restrictSuidSgid: true,
    restrictNamespaces: "yes",
    restrictRealtime: true,
    lockPersonality: true,
    systemCallArchitectures: "native",
    restrictAddressFamilies: ["AF_INET", "AF_INET6", "AF_UNIX"],
  },
  /** Everything a typical application does not need is removed. */
  strict_app: strictApp,
  /** strict_app without any network, tighter limits: for code you do not trust. */
  untrusted: {
    ...strictApp,
    privateNetwork: true,
    ipAddressDeny: "any",
    restrictAddressFamilies: ["AF_UNIX"],
    memoryMax: "512M",
    tasksMax: "64",
  },
  /** A developer workspace: read-only system, writable workspace, tools and JITs allowed. */
  vibe_dev: {
    noNewPrivileges: true,
    protectSystem: "strict",
    protectHome: "read-only",
    privateTmp: true,
    ...kernel,
    restrictSuidSgid: true,
    lockPersonality: true,
    memoryMax: "2G",
    tasksMax: "512",
  },
} as const satisfies Record<string, SandboxOptions>;

export type SandboxProfile = keyof typeof SANDBOX_PROFILES;

export const Sandbox = {
  /**
   * A sandbox from a profile, with overrides.
   * @example
   * const sb = Sandbox.new("strict_web", { memoryMax: "512M" });
   */
  new(profile: SandboxProfile, overrides: SandboxOptions = {}): SandboxOptions {
    return { ...SANDBOX_PROFILES[profile], ...overrides };
  },
  /**
   * The systemd [Service] directives of a sandbox, in a stable order.
   * @example
   * Sandbox.toSystemdServiceOptions(Sandbox.new("strict_app"))
   * // [["NoNewPrivileges", "yes"], ["ProtectSystem", "strict"], …]
   */
  toSystemdServiceOptions(sandbox: SandboxOptions): SystemdOptions {
    return toOptions(SANDBOX_TABLE, sandbox as Record<string, DirectiveValue>);
  },
};
