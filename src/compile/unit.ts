/** @internal Building unit sections: ordered directives, later values replacing earlier ones. */
import { HostKitError } from "../model/errors.ts";
import type { UnitSections } from "../model/resource.ts";
import type { SourceLoc } from "../model/source.ts";
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

const UNIT_REF = /^[A-Za-z0-9:_.\\@-]+\.(service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$/;

/**
 * Target aliases and unit names of a dependency option (`after`, `wants`, `wantedBy`…) as unit
 * names, or one diagnostic naming the option when an entry is neither an alias nor a unit name.
 */
export function dependencyNames(x: string | string[] | undefined, subject: string, key: string, source: SourceLoc): string[] {
  return list(x).map((t, i) => {
    const name = targetName(t);
    if (typeof name !== "string" || !UNIT_REF.test(name) || name.length > 255) {
      throw new HostKitError({
        subject,
        key: Array.isArray(x) ? `${key}[${i}]` : key,
        source,
        message: `${JSON.stringify(t)} is neither a target alias nor a unit name`,
        hint: `aliases: ${Object.keys(TARGETS).join(", ")}; unit names look like postgresql.service or network-online.target`,
      });
    }
    return name;
  });
}

/**
 * Refuse directive values that would break out of their line (a line break would start a new,
 * attacker-chosen directive). Values HostKit quotes never contain one; this catches raw values such
 * as sandbox overrides and timer schedules.
 */
export function checkSectionValues(sections: UnitSections, subject: string, source: SourceLoc): UnitSections {
  for (const [section, lines] of Object.entries(sections)) {
    for (const [directive, value] of lines) {
      if (/[\n\r\0]/.test(value)) {
        throw new HostKitError({ subject, key: `[${section}] ${directive}=`, source, message: `value ${JSON.stringify(value)} contains a line break or NUL` });
      }
    }
  }
  return sections;
}
