/** @internal Building unit sections: ordered directives, later values replacing earlier ones. */
import type { UnitSections } from "../model/resource.ts";
import type { SystemdOptions } from "../runtime/directives.ts";

/** Directives that may legitimately appear several times in one section. */
const REPEATABLE = new Set(["Environment", "EnvironmentFile", "ExecStartPre", "ExecStartPost", "ExecStop", "SystemCallFilter", "ReadWritePaths", "After", "Wants", "Requires", "WantedBy"]);

export class SectionBuilder {
  private readonly sections = new Map<string, [string, string][]>();

  set(section: string, directive: string, value: string | undefined): this {
    if (value === undefined) return this;
    const list = this.sections.get(section) ?? [];
    if (!REPEATABLE.has(directive)) {
      const i = list.findIndex(([d]) => d === directive);
      if (i >= 0) {
        list[i] = [directive, value];
        this.sections.set(section, list);
        return this;
      }
    }
    list.push([directive, value]);
    this.sections.set(section, list);
    return this;
  }

  setAll(section: string, options: SystemdOptions): this {
    for (const [d, val] of options) this.set(section, d, val);
    return this;
  }

  build(): UnitSections {
    return Object.fromEntries(this.sections);
  }
}

const TARGETS: Record<string, string> = {
  network_online: "network-online.target",
  network: "network.target",
  multi_user: "multi-user.target",
  default: "default.target",
  time_sync: "time-sync.target",
  local_fs: "local-fs.target",
  remote_fs: "remote-fs.target",
};

/** `"network_online"` → `network-online.target`; unit names pass through. */
export function targetName(t: string): string {
  return TARGETS[t] ?? t;
}

export function list(x: string | string[] | undefined): string[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}
