/**
 * Monitoring intent on daemons (and, through the Caddy provider, on sites): recorded in the model and
 * `hostkit dump`, run by the monitoring service later. Nothing here runs a check.
 */
import * as v from "valibot";

/** How bad a failed check is. */
export type Severity = "critical" | "warning" | "info";

/**
 * A daemon's checks.
 * @example monitor: { systemd: { expect: { state: "active" } }, severity: "critical" }
 * @example monitor: { http: { url: "http://127.0.0.1:4000/health", expect: { status: 200 } } }
 */
export interface DaemonMonitor {
  /** The unit's own state. @example systemd: { expect: { state: "active" } } */
  systemd?: { expect?: { state?: "active" | "inactive" } };
  /** An HTTP check (http:// or https:// URL, no credentials in it). @example http: { url: "http://127.0.0.1:4000/health", expect: { status: 200 } } */
  http?: { url: string; expect?: { status?: number } };
  /** @example severity: "critical" */
  severity?: Severity;
}

const Url = v.pipe(v.string(), v.url("must be a URL"), v.regex(/^https?:\/\/[^\s@]+$/, "must be an http:// or https:// URL without credentials or spaces"));

export const DaemonMonitorSchema = v.strictObject({
  systemd: v.optional(v.strictObject({ expect: v.optional(v.strictObject({ state: v.optional(v.picklist(["active", "inactive"])) })) })),
  http: v.optional(v.strictObject({ url: Url, expect: v.optional(v.strictObject({ status: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599))) })) })),
  severity: v.optional(v.picklist(["critical", "warning", "info"])),
});
