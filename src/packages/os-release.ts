/**
 * /etc/os-release → which distribution a target runs, which Repology repository describes its
 * packages, and which package manager installs them.
 *
 * The text comes from the target, so it is hostile input: the parser never evaluates anything (the
 * format forbids shell features, os-release(5)), drops malformed lines, and every value used to build
 * a repository id must match a strict pattern first.
 */

export type PackageManager = "apt" | "dnf" | "apk" | "pacman";
export const PACKAGE_MANAGERS: readonly PackageManager[] = ["apt", "dnf", "apk", "pacman"];

/** The binary whose presence on the target (`command -v`) means the manager is usable. */
export const MANAGER_BINARY: Readonly<Record<PackageManager, string>> = {
  apt: "apt-get",
  dnf: "dnf",
  apk: "apk",
  pacman: "pacman",
};

export function isPackageManager(s: string): s is PackageManager {
  return (PACKAGE_MANAGERS as readonly string[]).includes(s);
}

export interface OsRelease {
  /** `ID=`, lower-case; "linux" when absent (os-release(5) default). */
  id: string;
  /** `ID_LIKE=`, split on whitespace, closest relative first. */
  idLike: string[];
  versionId?: string;
  versionCodename?: string;
  name?: string;
  prettyName?: string;
  /** Every well-formed assignment, unquoted, for whatever else a caller needs. */
  fields: Record<string, string>;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parse one value the way os-release(5) allows: unquoted, "double" (backslash escapes `$ " \ ``),
 * 'single' (literal), or a concatenation of these. Returns undefined for an unterminated quote or
 * unquoted whitespace (a malformed line, which is ignored rather than guessed at).
 */
function parseValue(raw: string): string | undefined {
  let out = "";
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < raw.length) {
        const d = raw[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === "\\" && i + 1 < raw.length && '$"\\`'.includes(raw[i + 1]!)) {
          out += raw[i + 1];
          i += 2;
          continue;
        }
        out += d;
        i++;
      }
      if (!closed) return undefined;
    } else if (c === "\\") {
      if (i + 1 >= raw.length) return undefined;
      out += raw[i + 1];
      i += 2;
    } else if (/\s/.test(c)) {
      // Trailing whitespace is tolerated; whitespace in the middle of an unquoted value is not.
      if (raw.slice(i).trim() !== "") return undefined;
      break;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function parseOsRelease(text: string): OsRelease {
  const fields: Record<string, string> = Object.create(null);
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    const eq = t.indexOf("=");
    if (eq <= 0) continue;
    const key = t.slice(0, eq);
    if (!KEY.test(key)) continue;
    const value = parseValue(t.slice(eq + 1));
    if (value === undefined) continue;
    fields[key] = value;
  }
  const opt = (k: string) => (fields[k] !== undefined && fields[k] !== "" ? fields[k] : undefined);
  return {
    id: (opt("ID") ?? "linux").toLowerCase(),
    idLike: (fields.ID_LIKE ?? "").split(/\s+/).filter(Boolean).map((s) => s.toLowerCase()),
    versionId: opt("VERSION_ID"),
    versionCodename: opt("VERSION_CODENAME"),
    name: opt("NAME"),
    prettyName: opt("PRETTY_NAME"),
    fields: { ...fields },
  };
}

/** How the target is named in messages: `Debian GNU/Linux 12 (bookworm)`, else `ID VERSION_ID`. */
export function describeOs(os: OsRelease): string {
  return os.prettyName ?? [os.id, os.versionId].filter(Boolean).join(" ");
}

const MAJOR = /^(\d+)(?:[.]|$)/;
const MAJOR_MINOR = /^(\d+)\.(\d+)(?:[.]|$)/;

/**
 * The Repology repository id for this system (reference packages.md §1.5, §3.1), or undefined when
 * Repology has no repository HostKit can name for it. `ID_LIKE` is deliberately NOT used here: a
 * derivative's packages are not its parent's repository (Rocky 9 is `rocky_9`, not a Fedora).
 */
export function repologyRepository(os: OsRelease): string | undefined {
  const v = os.versionId;
  const major = v?.match(MAJOR)?.[1];
  const mm = v?.match(MAJOR_MINOR);
  switch (os.id) {
    case "debian":
      // Testing/sid carry no VERSION_ID.
      if (v === undefined) return "debian_unstable";
      return major ? `debian_${major}` : undefined;
    case "ubuntu":
      return mm ? `ubuntu_${mm[1]}_${mm[2]!.padStart(2, "0")}` : undefined;
    case "fedora":
      if (os.fields.REDHAT_SUPPORT_PRODUCT_VERSION === "rawhide") return "fedora_rawhide";
      return major ? `fedora_${major}` : undefined;
    case "alpine":
      // Edge images report e.g. 3.21.0_alpha20240807; releases are truncated to major.minor.
      if (v !== undefined && /_alpha|_beta|edge/.test(v)) return "alpine_edge";
      return mm ? `alpine_${mm[1]}_${mm[2]}` : undefined;
    case "arch":
      // Rolling: VERSION_ID, when present, is an image build stamp.
      return "arch";
    case "rocky":
      return major ? `rocky_${major}` : undefined;
    case "almalinux":
      return major ? `almalinux_${major}` : undefined;
    case "centos":
      // Only CentOS Stream is still in Repology.
      return major && /stream/i.test(os.name ?? "") ? `centos_stream_${major}` : undefined;
    case "opensuse-tumbleweed":
      return "opensuse_tumbleweed";
    case "opensuse-leap":
      return mm ? `opensuse_leap_${mm[1]}_${mm[2]}` : undefined;
    case "amzn":
      return major === "2" ? "amazon_2" : undefined;
    default:
      return undefined;
  }
}

const MANAGER_BY_ID: Readonly<Record<string, PackageManager>> = {
  debian: "apt",
  ubuntu: "apt",
  raspbian: "apt",
  linuxmint: "apt",
  kali: "apt",
  fedora: "dnf",
  rhel: "dnf",
  centos: "dnf",
  rocky: "dnf",
  almalinux: "dnf",
  amzn: "dnf",
  alpine: "apk",
  arch: "pacman",
  manjaro: "pacman",
};

/**
 * The managers that fit this system, closest first: `ID`, then each `ID_LIKE` entry in order (as
 * os-release(5) tells build scripts to do for an unrecognized ID). Empty when nothing is known.
 */
export function managersFor(os: OsRelease): PackageManager[] {
  const out: PackageManager[] = [];
  for (const id of [os.id, ...os.idLike]) {
    const m = MANAGER_BY_ID[id];
    if (m && !out.includes(m)) out.push(m);
  }
  return out;
}

export type ManagerChoice = { ok: true; manager: PackageManager } | { ok: false; message: string; hint?: string };

/**
 * Pick the manager to use on a target, given its os-release and the managers whose binary exists
 * there. A pinned manager must exist on the target; otherwise the os-release order decides, and a
 * target with exactly one known manager binary uses it.
 */
export function chooseManager(os: OsRelease, available: readonly PackageManager[], pinned?: string): ManagerChoice {
  if (pinned !== undefined) {
    if (!isPackageManager(pinned)) {
      return { ok: false, message: `unknown package manager "${pinned}"`, hint: `use one of ${PACKAGE_MANAGERS.join(", ")}` };
    }
    if (!available.includes(pinned)) {
      return { ok: false, message: `package manager "${pinned}" (${MANAGER_BINARY[pinned]}) is not installed on ${describeOs(os)}` };
    }
    return { ok: true, manager: pinned };
  }
  const fit = managersFor(os).find((m) => available.includes(m));
  if (fit) return { ok: true, manager: fit };
  if (available.length === 1) return { ok: true, manager: available[0]! };
  if (available.length === 0) {
    return { ok: false, message: `no supported package manager on ${describeOs(os)} (looked for ${PACKAGE_MANAGERS.map((m) => MANAGER_BINARY[m]).join(", ")})` };
  }
  return {
    ok: false,
    message: `cannot tell which package manager ${describeOs(os)} uses (found ${available.join(", ")})`,
    hint: `pin one with manager: "${available[0]}"`,
  };
}
