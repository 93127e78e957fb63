/**
 * Runtime resource limits: profiles `small`, `medium`, `large` and explicit directives.
 * @example
 * Resources.toSystemdServiceOptions(Resources.new({ memoryMax: "512M", cpuQuota: "50%" }))
 */
import { type DirectiveTable, type DirectiveValue, schemaFor, type SystemdOptions, toOptions } from "./directives.ts";

export const RESOURCE_TABLE = {
  memoryMax: ["MemoryMax", "string"],
  memoryHigh: ["MemoryHigh", "string"],
  memorySwapMax: ["MemorySwapMax", "string"],
  cpuQuota: ["CPUQuota", "string"],
  cpuWeight: ["CPUWeight", "string"],
  ioWeight: ["IOWeight", "string"],
  tasksMax: ["TasksMax", "string"],
  limitNofile: ["LimitNOFILE", "string"],
} as const satisfies DirectiveTable;

export type ResourceOptions = {
  /** @example memoryMax: "512M" */
  [K in keyof typeof RESOURCE_TABLE]?: string | number;
};
export const RESOURCE_KEYS = schemaFor(RESOURCE_TABLE);

export const RESOURCE_PROFILE_VALUES = {
  small: { memoryMax: "256M", cpuQuota: "50%", tasksMax: "128" },
  medium: { memoryMax: "1G", cpuQuota: "100%", tasksMax: "512" },
  large: { memoryMax: "4G", cpuQuota: "200%", tasksMax: "2048" },
} as const satisfies Record<string, ResourceOptions>;
export const RESOURCE_PROFILES = ["small", "medium", "large"] as const;
export type ResourceProfile = (typeof RESOURCE_PROFILES)[number];

export const Resources = {
  /**
   * Limits from a profile and/or explicit values.
   * @example
   * Resources.new({ profile: "small", memoryMax: "512M" })
   */
  new(opts: ResourceOptions & { profile?: ResourceProfile } = {}): ResourceOptions {
    const { profile, ...rest } = opts;
    return { ...(profile ? RESOURCE_PROFILE_VALUES[profile] : {}), ...rest };
  },
  /**
   * The systemd [Service] directives for these limits, in a stable order.
   * @example
   * Resources.toSystemdServiceOptions(Resources.new({ profile: "small" }))
   * // [["MemoryMax", "256M"], ["CPUQuota", "50%"], ["TasksMax", "128"]]
   */
  toSystemdServiceOptions(resources: ResourceOptions): SystemdOptions {
    return toOptions(RESOURCE_TABLE, resources as Record<string, DirectiveValue>);
  },
};
