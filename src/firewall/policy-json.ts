/**
 * A policy as plain JSON, for the `firewall` resource (plans are saved and rebuilt, so a resource is
 * JSON: `Cidr` holds bigints). Addresses are kept as the text `parseCidr` accepted and parsed again
 * on the way back, so a hand-edited saved plan cannot smuggle in what the DSL would have refused.
 */
import * as v from "valibot";
import { parseCidr } from "./ip.ts";
import type { Policy, Rule, Source } from "./policy.ts";

const Range = v.strictObject({ first: v.number(), last: v.number() });
const Verdict = v.picklist(["accept", "drop"]);

export const PolicyJsonSchema = v.strictObject({
  default: v.optional(Verdict),
  rules: v.array(
    v.variant("kind", [
      v.strictObject({
        kind: v.literal("match"),
        label: v.string(),
        verdict: Verdict,
        tcp: v.optional(v.array(Range)),
        udp: v.optional(v.array(Range)),
        /** CIDR texts, or "loopback". */
        from: v.array(v.string()),
        iface: v.optional(v.string()),
        comment: v.optional(v.string()),
      }),
      v.strictObject({ kind: v.literal("raw"), label: v.string(), text: v.string() }),
    ]),
  ),
});
export type PolicyJson = v.InferOutput<typeof PolicyJsonSchema>;

export function policyToJson(p: Policy): PolicyJson {
  const rules = p.rules.map((r): PolicyJson["rules"][number] => {
    if (r.kind === "raw") return { kind: "raw", label: r.label, text: r.text };
    return {
      kind: "match",
      label: r.label,
      verdict: r.verdict,
      ...(r.tcp ? { tcp: r.tcp.map((x) => ({ ...x })) } : {}),
      ...(r.udp ? { udp: r.udp.map((x) => ({ ...x })) } : {}),
      from: r.from.map((s) => (s.kind === "loopback" ? "loopback" : s.cidr.text)),
      ...(r.iface !== undefined ? { iface: r.iface } : {}),
      ...(r.comment !== undefined ? { comment: r.comment } : {}),
    };
  });
  return p.default === undefined ? { rules } : { default: p.default, rules };
}

export function policyFromJson(j: PolicyJson): Policy {
  const rules = j.rules.map((r): Rule => {
    if (r.kind === "raw") return { ...r };
    const from = r.from.map((t): Source => {
      if (t === "loopback") return { kind: "loopback" };
      const c = parseCidr(t);
      if ("error" in c) throw new TypeError(`${r.label}: ${c.error}`);
      return { kind: "cidr", cidr: c };
    });
    return { ...r, from };
  });
  return j.default === undefined ? { rules } : { default: j.default, rules };
}
