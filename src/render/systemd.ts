/** Unit sections → unit file text. Deterministic: known sections in systemd's order, directives as declared. */
import type { UnitSections } from "../model/resource.ts";

const SECTION_ORDER = ["Unit", "Service", "Socket", "Timer", "Path", "Install"];

export function renderUnit(sections: UnitSections): string {
  const names = Object.keys(sections).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const blocks: string[] = [];
  for (const name of names) {
    const lines = sections[name]!;
    if (!lines.length) continue;
    for (const [k, v] of lines) {
      // Compile refuses these with a diagnostic; this guards units built elsewhere (e.g. read back from a saved plan).
      if (/[\n\r\0]/.test(k + v)) throw new Error(`refusing to render [${name}] ${k}=: the value contains a line break or NUL`);
    }
    blocks.push(`[${name}]\n${lines.map(([k, v]) => `${k}=${v}`).join("\n")}\n`);
  }
  return `# Managed by HostKit. Local edits are reported as drift and replaced on apply.\n${blocks.join("\n")}`;
}

function rank(section: string): number {
  const i = SECTION_ORDER.indexOf(section);
  return i < 0 ? SECTION_ORDER.length : i;
}
