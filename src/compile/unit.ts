/** @internal Building unit sections: ordered directives, later values replacing earlier ones. */
import { HostKitError } from "../model/errors.ts";
import type { UnitSections } from "../model/resource.ts";
import type { SourceLoc } from "../model/source.ts";
import type { SystemdOptions } from "../runtime/directives.ts";
import { unitNameProblem } from "../dsl/names.ts";

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

/**
 * Target aliases and unit names of a dependency option (`after`, `wants`, `wantedBy`…) as unit
 * names, or one diagnostic naming the option when an entry is neither an alias nor a unit name.
 */
export function dependencyNames(x: string | string[] | undefined, subject: string, key: string, source: SourceLoc): string[] {
  return list(x).map((t, i) => {
    const name = targetName(t);
    // Templates are fine to order against (After=getty@.service is unusual but valid); nothing else is.
    const problem = typeof name === "string" ? unitNameProblem(name) : "is not a string";
    if (problem && !problem.startsWith("is a template")) {
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

/** Directives whose parser takes a percentage (`CPUQuota=50%`) and does not expand specifiers. */
const PERCENT = new Set(["CPUQuota", "MemoryMax", "MemoryHigh", "MemoryLow", "MemoryMin", "MemorySwapMax", "TasksMax"]);

/**
 * The first specifier (`%n`, `%h`…) systemd would expand in a rendered value, or undefined. Values
 * HostKit quotes have every literal '%' doubled; a single '%' left over came in raw (a sandbox
 * override, a resource limit) and would be replaced by systemd with the unit name, a home directory…
 */
export function specifierIn(directive: string, value: string): string | undefined {
  if (PERCENT.has(directive) && /^[0-9]+(\.[0-9]+)?%$/.test(value)) return undefined;
  const m = value.replaceAll("%%", "").match(/%.?/);
  return m ? m[0] : undefined;
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
      const specifier = specifierIn(directive, value);
      if (specifier) {
        throw new HostKitError({ subject, key: `[${section}] ${directive}=`, source, message: `value ${JSON.stringify(value)} contains ${JSON.stringify(specifier)}, which systemd would expand as a specifier`, hint: "HostKit writes '%%' for a literal '%' in the values it quotes; write the value without '%'" });
      }
    }
  }
  return sections;
}
