/**
 * The firewall policy model: what `allow(...)`, `deny(...)` and `raw(...)` declare, checked before
 * anything is rendered. Every value that ends up in the nft file is validated here, so the renderer
 * never has to escape: a port is an integer 1–65535, an address parses as IPv4/IPv6, an interface
 * name and a comment hold no quote, `;`, brace, backslash or control character.
 *
 * Independent of the DSL's kind/registry contract: the DSL builds a `PolicyBuilder` per scope, calls
 * its methods from `p.firewall((f) => …)`, passes each call's source location, and merges host policy
 * over project policy with `mergePolicies`.
 */
import * as v from "valibot";
import { normalizeAddress, type Address } from "../model/address.ts";
import { HostKitError } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";
import { issuePath } from "../dsl/validate.ts";
import { parseCidr, unmapV4, type Cidr } from "./ip.ts";

export type Verdict = "accept" | "drop";

/** An inclusive port range; a single port has `first === last`. */
export interface PortRange {
  first: number;
  last: number;
}

/** Where a packet may come from: an IPv4/IPv6 address or CIDR, or the loopback interface. */
export type Source = { kind: "loopback" } | { kind: "cidr"; cidr: Cidr };

export interface MatchRule {
  kind: "match";
  /** Names the rule in errors, e.g. `host "prod" › firewall › allow #2`. Never rendered. */
  label: string;
  verdict: Verdict;
  /** Absent: the rule does not restrict TCP ports (with `udp` absent too: any protocol). */
  tcp?: PortRange[];
  udp?: PortRange[];
  /** Empty: from anywhere. */
  from: Source[];
  /** Input interface name (`iifname`), e.g. `incusbr0`; a trailing `*` is nft's wildcard. */
  iface?: string;
  comment?: string;
}

/** One line of nft rule syntax, placed as written in the input chain. */
export interface RawRule {
  kind: "raw";
  label: string;
  text: string;
}

export type Rule = MatchRule | RawRule;

export interface Policy {
  /** The input chain's policy. Undefined: not declared at this scope (renders as `accept`). */
  default?: Verdict;
  rules: Rule[];
}

/** A port (`22`) or an inclusive range as text (`"8000-8100"`). */
export type PortInput = number | string;

/** What `allow({...})` and `deny({...})` take. */
export interface RuleOptions {
  /** TCP destination port(s). @example tcp: [80, 443] */
  tcp?: PortInput | readonly PortInput[];
  /** UDP destination port(s). @example udp: "60000-61000" */
  udp?: PortInput | readonly PortInput[];
  /** Source address(es); default "any". @example from: [10, 44, 0, 0, 24] */
  from?: Address | readonly Address[];
  /** Input interface. @example interface: "incusbr0" */
  interface?: string;
  /** Shown in `nft list ruleset` (at most 128 characters). */
  comment?: string;
}

const PORT_MSG = "expected a port 1–65535 or a range like \"8000-8100\"";
const portRange = (i: { input: unknown }) => `port ${String(i.input)} is outside 1–65535`;
const PortSchema = v.union(
  [
    v.pipe(v.number(PORT_MSG), v.integer(PORT_MSG), v.minValue(1, portRange), v.maxValue(65535, portRange)),
    v.pipe(v.string(PORT_MSG), v.regex(/^\d{1,5}(-\d{1,5})?$/, PORT_MSG)),
  ],
  PORT_MSG,
);
const PortsSchema = v.union([PortSchema, v.pipe(v.array(PortSchema), v.minLength(1, "expected at least one port"))], PORT_MSG);
const ADDR_MSG = "expected an address (\"any\", \"loopback\", an IP, a CIDR, an octet array) or a list of them";

/** Shape of the rule options (values are checked further by `parseRule`). Exported for `hostkit schema`. */
export const RuleOptionsSchema = v.strictObject({
  tcp: v.optional(PortsSchema),
  udp: v.optional(PortsSchema),
  from: v.optional(v.union([v.string(), v.array(v.union([v.number(), v.string(), v.array(v.number())], ADDR_MSG))], ADDR_MSG)),
  interface: v.optional(v.string("expected an interface name")),
  comment: v.optional(v.string("expected a string")),
}, 'expected "all" or rule options like { tcp: 22, from: "any" }');
export const RuleInputSchema = v.union([v.literal("all"), RuleOptionsSchema]);

/** What the error names: the rule (and its scope) and where the DSL call was. */
export interface RuleContext {
  label: string;
  source?: SourceLoc;
}

function bad(ctx: RuleContext, key: string | undefined, message: string): never {
  throw new HostKitError({ subject: ctx.label, key, source: ctx.source, message });
}

/** No quote, backslash, `;`, braces, `#` or control character: the text cannot leave its nft token. */
const SAFE_TEXT = /^[^"\\;{}#\u0000-\u001f\u007f]*$/;

function parsePorts(input: PortInput | readonly PortInput[], key: string, ctx: RuleContext): PortRange[] {
  const list = Array.isArray(input) ? (input as readonly PortInput[]) : [input as PortInput];
  const ranges: PortRange[] = [];
  list.forEach((p, i) => {
    const k = Array.isArray(input) ? `${key}[${i}]` : key;
    const [first, last] = typeof p === "number" ? [p, p] : p.includes("-") ? (p.split("-").map(Number) as [number, number]) : [Number(p), Number(p)];
    if (first < 1 || last > 65535 || first > 65535) bad(ctx, k, `port range ${JSON.stringify(p)} must lie within 1–65535`);
    if (first > last) bad(ctx, k, `port range ${JSON.stringify(p)} starts after it ends`);
    const clash = ranges.find((r) => first <= r.last && r.first <= last);
    if (clash) bad(ctx, k, `port ${JSON.stringify(p)} overlaps ${clash.first === clash.last ? clash.first : `${clash.first}-${clash.last}`} in the same rule`);
    ranges.push({ first, last });
  });
  return ranges;
}

/** `from` is one address or a list; an all-numbers array is one octet address (`[10, 44, 0, 0, 24]`). */
function parseFrom(input: unknown, ctx: RuleContext): Source[] {
  const single = !Array.isArray(input) || input.every((n) => typeof n === "number");
  const list: unknown[] = single ? [input] : (input as unknown[]);
  if (list.length === 0) bad(ctx, "from", `expected at least one address ("any" for everywhere)`);
  const out: Source[] = [];
  let any = false;
  list.forEach((a, i) => {
    const key = single ? "from" : `from[${i}]`;
    if (typeof a === "string" && !SAFE_TEXT.test(a)) bad(ctx, key, `address ${JSON.stringify(a)} contains a character not allowed in an address`);
    const n = normalizeAddress(a);
    if (typeof n !== "string") bad(ctx, key, n.error);
    if (n === "any") any = true;
    else if (n === "loopback") out.push({ kind: "loopback" });
    else {
      const c = parseCidr(n);
      if ("error" in c) bad(ctx, key, c.error);
      if (c.family === "ip6" && unmapV4(c) !== c) {
        bad(ctx, key, `${JSON.stringify(n)} is an IPv4-mapped IPv6 address; IPv4 packets never match it: write "${unmapV4(c).text}"`);
      }
      out.push({ kind: "cidr", cidr: c });
    }
  });
  if (any && list.length > 1) bad(ctx, "from", `"any" cannot be combined with other addresses`);
  return out;
}

/** Validate one `allow(...)`/`deny(...)` options object into a rule. Throws one HostKitError naming key. */
export function parseRule(verdict: Verdict, input: unknown, ctx: RuleContext): MatchRule {
  const res = v.safeParse(RuleOptionsSchema, input);
  if (!res.success) {
    const issue = res.issues[0];
    const key = issuePath(issue) || undefined;
    const unknownKey = issue.expected === "never";
    bad(ctx, key, unknownKey ? "unknown option (expected tcp, udp, from, interface or comment)" : issue.message);
  }
  const o = res.output;
  const rule: MatchRule = { kind: "match", label: ctx.label, verdict, from: [] };
  if (o.tcp !== undefined) rule.tcp = parsePorts(o.tcp, "tcp", ctx);
  if (o.udp !== undefined) rule.udp = parsePorts(o.udp, "udp", ctx);
  if (o.from !== undefined) rule.from = parseFrom(o.from, ctx);
  if (o.interface !== undefined) {
    if (!/^[A-Za-z0-9_.:@-]{1,15}\*?$/.test(o.interface)) {
      bad(ctx, "interface", `interface ${JSON.stringify(o.interface)} is not an interface name (letters, digits, _ . : @ -, at most 15, optional trailing *)`);
    }
    rule.iface = o.interface;
  }
  if (o.comment !== undefined) {
    if (!SAFE_TEXT.test(o.comment)) bad(ctx, "comment", `comment ${JSON.stringify(o.comment)} may not contain quotes, backslashes, ; { } # or control characters`);
    if (new TextEncoder().encode(o.comment).length > 128) bad(ctx, "comment", "comment is longer than nft's 128 bytes");
    rule.comment = o.comment;
  }
  if (!rule.tcp && !rule.udp && rule.from.length === 0 && !rule.iface) {
    bad(ctx, undefined, `a rule needs tcp, udp, from or interface (use ${verdict === "accept" ? "allow" : "deny"}("all") to set the default policy)`);
  }
  return rule;
}

/** Words that are nft file directives, not rule statements: `include` reads a host file into the ruleset. */
const DIRECTIVE = /(^|[^A-Za-z0-9_-])(include|define|redefine|undefine)([^A-Za-z0-9_-]|$)/i;

/**
 * The escape hatch: one nft rule statement, placed as written. Checked only so it cannot leave its
 * line or its chain (no newline, `;`, braces, backslash, control character, directive); anything
 * else — an unknown keyword included — is left for `nft -c` to judge.
 */
export function parseRaw(input: unknown, ctx: RuleContext): RawRule {
  if (typeof input !== "string") bad(ctx, "raw", `expected one line of nft rule syntax, got ${Array.isArray(input) ? "array" : typeof input}`);
  const text = input.trim();
  if (text === "") bad(ctx, "raw", "the raw rule is empty");
  if (/[\n\r]/.test(input)) bad(ctx, "raw", "a raw rule must be one line");
  if (/[;{}\\\u0000-\u001f\u007f]/.test(text)) bad(ctx, "raw", `raw rule ${JSON.stringify(text)} may not contain ; { } \\ or control characters (one statement, inside HostKit's chain)`);
  if (DIRECTIVE.test(text)) bad(ctx, "raw", `raw rule ${JSON.stringify(text)} uses an nft file directive (include/define), which is not a rule`);
  if (text.length > 1000) bad(ctx, "raw", "a raw rule is limited to 1000 characters");
  return { kind: "raw", label: ctx.label, text };
}

/**
 * Collects one scope's declarations in order. `scope` prefixes every rule label, e.g. `firewall` or
 * `host "prod" › firewall`; each call is numbered within the scope (`allow #1`, `deny #3`, `raw #4`).
 */
export class PolicyBuilder {
  private readonly rules: Rule[] = [];
  private defaultVerdict: Verdict | undefined;
  private count = 0;
  constructor(readonly scope = "firewall") {}

  private ctx(op: string, source?: SourceLoc): RuleContext {
    this.count++;
    return { label: `${this.scope} › ${op} #${this.count}`, source };
  }

  /** `allow("all")` sets the default to accept; `allow({ tcp: 22, from: "any" })` adds a rule. */
  allow(input: "all" | RuleOptions, source?: SourceLoc): this {
    return this.add("allow", "accept", input, source);
  }
  /** `deny("all")` sets the default to drop; `deny({ tcp: 25 })` adds a drop rule. */
  deny(input: "all" | RuleOptions, source?: SourceLoc): this {
    return this.add("deny", "drop", input, source);
  }
  /** One nft rule statement, e.g. `raw("ip saddr 192.0.2.7 counter drop")`. */
  raw(text: string, source?: SourceLoc): this {
    this.rules.push(parseRaw(text, this.ctx("raw", source)));
    return this;
  }

  private add(op: string, verdict: Verdict, input: unknown, source?: SourceLoc): this {
    const ctx = this.ctx(op, source);
    if (input === "all" || input === "any") {
      if (this.defaultVerdict !== undefined && this.defaultVerdict !== verdict) {
        bad(ctx, undefined, `the default policy is already "${this.defaultVerdict}" in this scope`);
      }
      this.defaultVerdict = verdict;
    } else if (typeof input === "string") {
      bad(ctx, undefined, `expected "all" or rule options, got ${JSON.stringify(input)}`);
    } else {
      this.rules.push(parseRule(verdict, input, ctx));
    }
    return this;
  }

  policy(): Policy {
    return this.defaultVerdict === undefined ? { rules: [...this.rules] } : { default: this.defaultVerdict, rules: [...this.rules] };
  }
}

/** Host policy refines the project's: its rules come after the project's, its default (if any) wins. */
export function mergePolicies(project: Policy, host?: Policy): Policy {
  if (!host) return { ...project, rules: [...project.rules] };
  const def = host.default ?? project.default;
  const rules = [...project.rules, ...host.rules];
  return def === undefined ? { rules } : { default: def, rules };
}
