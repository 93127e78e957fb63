/**
 * File modes in five forms (number, alias, triple, record, capability list), always normalized to an
 * integer in the model so plan and apply stay simple.
 */

/** Named modes. */
export const MODE_ALIASES = {
  private_file: 0o600,
  secret_file: 0o600,
  secret_group_file: 0o640,
  group_file: 0o640,
  public_file: 0o644,
  executable: 0o755,
  private_dir: 0o700,
  group_dir: 0o750,
  public_dir: 0o755,
  shared_dir: 0o2775,
} as const;

export type ModeAlias = keyof typeof MODE_ALIASES;
/** Permission letters for one class: any of r, w, x in that order, or null for none. */
export type Perm = "" | "r" | "w" | "x" | "rw" | "rx" | "wx" | "rwx" | null;
export type ModeCapability =
  | "setuid"
  | "setgid"
  | "sticky"
  | `${"owner" | "group" | "other"}_${"r" | "w" | "x" | "rw" | "rx" | "wx" | "rwx"}`;

/**
 * A file mode.
 * @example
 * mode: 0o640
 * mode: "secret_group_file"
 * mode: ["rw", "r", null]
 * mode: { owner: "rw", group: "r" }
 * mode: ["setgid", "owner_rwx", "group_rwx", "other_rx"]
 */
export type Mode =
  | number
  | ModeAlias
  | readonly [Perm, Perm, Perm]
  | { owner?: Perm; group?: Perm; other?: Perm }
  | readonly ModeCapability[];

function perm(p: unknown): number | string {
  if (p === null || p === undefined || p === "") return 0;
  if (typeof p !== "string" || !/^r?w?x?$/.test(p)) return `permission ${JSON.stringify(p)} is not one of r, w, x (in that order) or null`;
  return (p.includes("r") ? 4 : 0) | (p.includes("w") ? 2 : 0) | (p.includes("x") ? 1 : 0);
}

const SPECIAL: Record<string, number> = { setuid: 0o4000, setgid: 0o2000, sticky: 0o1000 };
const SHIFT: Record<string, number> = { owner: 6, group: 3, other: 0 };

/** Normalize a mode; returns the integer or an error message. */
export function normalizeMode(mode: unknown): number | { error: string } {
  const err = (error: string) => ({ error });
  if (typeof mode === "number") {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) return err(`mode ${mode} is outside 0..0o7777`);
    return mode;
  }
  if (typeof mode === "string") {
    if (mode in MODE_ALIASES) return MODE_ALIASES[mode as ModeAlias];
    if (/^0?[0-7]{3,4}$/.test(mode)) return parseInt(mode, 8);
    return err(`unknown mode alias ${JSON.stringify(mode)} (known: ${Object.keys(MODE_ALIASES).join(", ")})`);
  }
  if (Array.isArray(mode)) {
    const isCaps = mode.length > 0 && mode.every((m) => typeof m === "string" && (m in SPECIAL || /^(owner|group|other)_/.test(m)));
    if (isCaps) {
      let out = 0;
      for (const cap of mode as string[]) {
        if (cap in SPECIAL) {
          out |= SPECIAL[cap]!;
          continue;
        }
        const [cls, letters] = cap.split("_") as [string, string];
        const bits = perm(letters);
        if (typeof bits === "string" || !(cls in SHIFT)) return err(`unknown mode capability ${JSON.stringify(cap)}`);
        out |= bits << SHIFT[cls]!;
      }
      return out;
    }
    if (mode.length !== 3) return err(`a mode triple has exactly 3 entries [owner, group, other], got ${mode.length}`);
    let out = 0;
    for (const [i, p] of mode.entries()) {
      const bits = perm(p);
      if (typeof bits === "string") return err(bits);
      out |= bits << (6 - 3 * i);
    }
    return out;
  }
  if (typeof mode === "object" && mode !== null) {
    let out = 0;
    for (const [k, p] of Object.entries(mode)) {
      if (!(k in SHIFT)) return err(`unknown mode class ${JSON.stringify(k)} (use owner, group, other)`);
      const bits = perm(p);
      if (typeof bits === "string") return err(bits);
      out |= bits << SHIFT[k]!;
    }
    return out;
  }
  return err(`expected a mode (number, alias, triple, record or capability list), got ${typeof mode}`);
}

/** `0o640` → `"0640"`. */
export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

/**
 * Why a numeric mode is almost certainly a mistake, or undefined. Modes written as decimal numbers
 * (`mode: 750`, the classic Ansible slip) come out as nonsense such as 0o1356: the owner has fewer
 * rights than the group or others, or a special bit is set without the execute bit it modifies.
 * Every mode people mean (0o600, 0o640, 0o644, 0o660, 0o700, 0o750, 0o755, 0o2775, 0o1777, 0o4755…)
 * passes.
 */
export function implausibleMode(mode: number): string | undefined {
  const owner = (mode >> 6) & 7;
  const group = (mode >> 3) & 7;
  const other = mode & 7;
  const names = ["r", "w", "x"];
  const missing = (have: number, want: number) => [4, 2, 1].filter((b) => want & b && !(have & b)).map((b) => names[[4, 2, 1].indexOf(b)]).join("");
  if ((group | other) & ~owner) return `0o${formatMode(mode)} gives the group or others rights the owner lacks (${missing(owner, group | other)})`;
  if (mode & 0o4000 && !(owner & 1)) return `0o${formatMode(mode)} sets setuid without the owner's execute bit`;
  if (mode & 0o1000 && !(other & 1)) return `0o${formatMode(mode)} sets the sticky bit without others' execute bit`;
  return undefined;
}

/** A decimal literal such as `750` or `644` read as the octal mode its writer meant, if it is one. */
export function octalReading(decimal: number): number | undefined {
  const s = String(decimal);
  return /^[0-7]{3,4}$/.test(s) ? parseInt(s, 8) : undefined;
}
