/**
 * Renders a policy to one nft file that replaces only HostKit's own table, atomically, and leaves
 * every other table (Docker's, Incus', the distribution's) untouched. The idiom, proven twice in a
 * namespace beside a foreign table (reference integrations.md §2.3):
 *
 *   table inet hostkit          — "add": creates it if missing, so the delete never fails
 *   delete table inet hostkit   — drops the old chains/sets/rules (`flush table` would leave stale chains)
 *   table inet hostkit { … }    — recreated; `nft -f` runs the whole file as ONE transaction
 *
 * Output is a pure function of the policy: same policy, same bytes (drift = a different hash).
 */
import { createHash } from "node:crypto";
import type { MatchRule, Policy, PortRange, Rule, Source } from "./policy.ts";

export { lockoutCheck, type LockoutResult } from "./lockout.ts";

/** Where the rendered file goes unless the declaration says otherwise. */
export const DEFAULT_PATH = "/etc/nftables.d/hostkit.nft";
/** The one table HostKit owns. */
export const TABLE_FAMILY = "inet";
export const TABLE_NAME = "hostkit";

export const HEADER = [
  "#!/usr/sbin/nft -f",
  "# Managed by HostKit. Replaces only table inet hostkit; every other table is untouched.",
  "# Local edits are replaced on the next apply.",
];

/**
 * Rules every policy starts with: loopback, replies to our own traffic, ICMP (IPv6 needs ND).
 * `icmpv6`, not `ipv6-icmp`: nft resolves the latter through /etc/protocols, which a minimal Debian
 * (no `netbase`) lacks — "Could not resolve protocol name" on the host, though the controller passed.
 */
export const ALWAYS = [
  'iif "lo" accept',
  "ct state established,related accept",
  "ct state invalid drop",
  "meta l4proto { icmp, icmpv6 } accept",
];

export interface Rendered {
  text: string;
  /** 1-based line number → the label of the rule that produced it (to point nft's errors at a rule). */
  lines: Map<number, string>;
}

export function render(policy: Policy): string {
  return renderWithMap(policy).text;
}

export function renderWithMap(policy: Policy): Rendered {
  const out: string[] = [...HEADER, ""];
  const lines = new Map<number, string>();
  out.push(`table ${TABLE_FAMILY} ${TABLE_NAME}`, `delete table ${TABLE_FAMILY} ${TABLE_NAME}`, `table ${TABLE_FAMILY} ${TABLE_NAME} {`);
  out.push(`\tcomment "${COMMENT}"`);
  out.push("\tchain input {");
  out.push(`\t\ttype filter hook input priority filter; policy ${policy.default ?? "accept"};`);
  for (const a of ALWAYS) out.push(`\t\t${a}`);
  for (const rule of policy.rules) {
    for (const line of ruleLines(rule)) {
      out.push(`\t\t${line}`);
      lines.set(out.length, rule.label);
    }
  }
  out.push("\t}", "}", "");
  const plain = out.join("\n");
  return { text: plain.replace(`comment "${COMMENT}"`, `comment "${COMMENT}; rev ${revOf(plain)}"`), lines };
}

const COMMENT = "managed by hostkit; do not edit";

/**
 * The revision a rendered file stamps on the table's comment: the loaded table then says which file
 * it came from (`nft list table inet hostkit` shows the comment), so a plan can tell "the rules in
 * the kernel are this file's" from "the file is right but something else is loaded".
 */
function revOf(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** The revision stamped in a rendered file or in `nft list table` output (undefined: none). */
export function revIn(text: string): string | undefined {
  return /comment "managed by hostkit; do not edit; rev ([0-9a-f]{16})"/.exec(text)?.[1];
}

/** One policy rule becomes one nft line per (address family × protocol) it spans. */
export function ruleLines(rule: Rule): string[] {
  if (rule.kind === "raw") return [rule.text];
  const families = sourceGroups(rule.from);
  const protos = protocolParts(rule);
  const tail = [rule.verdict, ...(rule.comment !== undefined ? [`comment "${rule.comment}"`] : [])].join(" ");
  const lines: string[] = [];
  for (const fam of families) {
    for (const proto of protos) {
      const parts = [...(rule.iface ? [`iifname "${rule.iface}"`] : []), ...(fam ? [fam] : []), ...(proto ? [proto] : []), tail];
      lines.push(parts.join(" "));
    }
  }
  return lines;
}

/** `[null]` when the rule has no source restriction; else one match per family, in a fixed order. */
function sourceGroups(from: Source[]): (string | null)[] {
  if (from.length === 0) return [null];
  const groups: string[] = [];
  if (from.some((s) => s.kind === "loopback")) groups.push('iif "lo"');
  for (const fam of ["ip", "ip6"] as const) {
    const cidrs = from.flatMap((s) => (s.kind === "cidr" && s.cidr.family === fam ? [s.cidr.text] : []));
    if (cidrs.length) groups.push(`${fam} saddr ${setOf(cidrs)}`);
  }
  return groups;
}

function protocolParts(rule: MatchRule): (string | null)[] {
  const parts: string[] = [];
  if (rule.tcp) parts.push(`tcp dport ${setOf(rule.tcp.map(portText))}`);
  if (rule.udp) parts.push(`udp dport ${setOf(rule.udp.map(portText))}`);
  return parts.length ? parts : [null];
}

function portText(r: PortRange): string {
  return r.first === r.last ? String(r.first) : `${r.first}-${r.last}`;
}

function setOf(items: string[]): string {
  return items.length === 1 ? items[0]! : `{ ${items.join(", ")} }`;
}

/** What making the file survive a reboot takes, as data the plan can show and the applier can do. */
export interface Persistence {
  /** Debian's nftables.service loads this file (`ExecStart=/usr/sbin/nft -f /etc/nftables.conf`). */
  confPath: string;
  /** The conf after the change (the input unchanged when it already includes the file). */
  content: string;
  changed: boolean;
  /** The line that includes HostKit's file. */
  includeLine: string;
  /** nftables.service is disabled by default on Debian 12; enabling it makes the conf load at boot. */
  enableArgv: string[];
  /** Things the plan should say (e.g. the conf's own `flush ruleset`). */
  notes: string[];
}

export const NFTABLES_CONF = "/etc/nftables.conf";

/**
 * How `/etc/nftables.conf` includes HostKit's file. `currentConf` is the file as read from the host
 * (`null`: absent). The include is a glob on the file's directory, because a glob with no match is
 * not an error for nft while a missing literal file is — and a failed include fails the WHOLE conf at
 * boot (nft -f is atomic), which would also drop the admin's own rules. An existing include that
 * already covers the file (the literal path or the same glob) is left as it is. Nothing else in the
 * admin's conffile is changed.
 */
export function persistence(currentConf: string | null, file: string = DEFAULT_PATH): Persistence {
  if (!/^\/[A-Za-z0-9._/-]+\.nft$/.test(file) || file.split("/").includes("..")) {
    throw new TypeError(`firewall file ${JSON.stringify(file)} must be an absolute path ending in .nft (letters, digits, . _ - /)`);
  }
  const dir = file.slice(0, file.lastIndexOf("/")) || "/";
  const includeLine = `include "${dir === "/" ? "" : dir}/*.nft"`;
  const covering = new Set([includeLine, `include "${file}"`, `include "${dir}/*"`]);
  const enableArgv = ["systemctl", "enable", "nftables.service"];
  const notes: string[] = [];
  const conf = currentConf ?? "#!/usr/sbin/nft -f\n";
  const lines = conf.split("\n").map((l) => l.trim());
  if (lines.includes("flush ruleset")) {
    notes.push(
      `${NFTABLES_CONF} starts with "flush ruleset": starting, reloading or stopping nftables.service clears every table (Incus', Docker's), not only HostKit's; HostKit never reloads that service itself`,
    );
  }
  if (lines.some((l) => covering.has(l))) return { confPath: NFTABLES_CONF, content: conf, changed: false, includeLine, enableArgv, notes };
  const sep = conf === "" || conf.endsWith("\n") ? "" : "\n";
  const content = `${conf}${sep}\n# Added by HostKit: its firewall table (table inet hostkit) at boot.\n${includeLine}\n`;
  return { confPath: NFTABLES_CONF, content, changed: true, includeLine, enableArgv, notes };
}
