/**
 * Load-time checks of instance specs, across all instances of a project (a host port can be taken
 * only once on the machine that runs the backend). Returns diagnostics (subject `instance "NAME"`,
 * the option key); the caller adds the declaration's file:line and throws them as one error.
 *
 * Names: Incus instance names are 1–63 ASCII letters, digits and '-', not starting with a digit or
 * '-', not ending with '-' (lxc/incus doc/reference/instance_properties.md). An instance name also
 * becomes part of device names and paths, so nothing else is accepted.
 */
import { isIPv4, isIPv6 } from "node:net";
import type { Diagnostic } from "../model/errors.ts";
import type { InstanceSpec } from "./backend.ts";

export const INSTANCE_NAME = /^[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** Expose names become device names `hk-NAME`: short, and safe in a `key=value` argument. */
export const EXPOSE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/;
/** Incus config keys: a lower-case namespace and dotted parts (`limits.cpu`, `cloud-init.user-data`, `environment.HTTP_PROXY`). */
export const CONFIG_KEY = /^[a-z][a-z0-9_-]*(?:\.[A-Za-z0-9_-]+)+$/;
/** Config HostKit or Incus owns: never declared by a user. */
const RESERVED_KEY = /^(?:volatile\.|image\.|user\.hostkit\.)/;

const WILDCARD = new Set(["0.0.0.0", "::"]);

/** `demo_vm` → `demo-vm`: the Incus name for a declaration name that uses underscores. */
export function suggestName(name: string): string {
  return name.replace(/_/g, "-");
}

export function validateSpecs(specs: readonly InstanceSpec[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byName = new Map<string, string>();
  // host port → who took it first (with its listen address)
  const ports = new Map<number, { who: string; listen: string }[]>();
  for (const s of specs) {
    const subject = `instance "${s.name}"`;
    const bad = (key: string | undefined, message: string, hint?: string) =>
      out.push({ subject, ...(key ? { key } : {}), message, ...(hint ? { hint } : {}) });

    if (typeof s.name !== "string" || !INSTANCE_NAME.test(s.name)) {
      const hint = typeof s.name === "string" && INSTANCE_NAME.test(suggestName(s.name)) ? `use "${suggestName(s.name)}"` : undefined;
      bad(undefined, `is not a valid instance name: 1–63 ASCII letters, digits and '-', starting with a letter and not ending with '-'`, hint);
    } else {
      const lower = s.name.toLowerCase();
      const first = byName.get(lower);
      if (first !== undefined) bad(undefined, `is declared twice (also as instance "${first}")`);
      else byName.set(lower, s.name);
    }
    if (typeof s.image !== "string" || s.image === "" || s.image.startsWith("-") || /[\s\0]/.test(s.image))
      bad("image", `must be an image name or alias (no spaces, not starting with '-'), got ${JSON.stringify(s.image)}`);
    if (s.kind !== "container" && s.kind !== "vm") bad("kind", `must be "container" or "vm", got ${JSON.stringify(s.kind)}`);
    if (s.lifecycle !== "ephemeral" && s.lifecycle !== "persistent") bad("lifecycle", `must be "ephemeral" or "persistent", got ${JSON.stringify(s.lifecycle)}`);
    if (s.state !== "running" && s.state !== "stopped") bad("state", `must be "running" or "stopped", got ${JSON.stringify(s.state)}`);
    if (s.lifecycle === "ephemeral" && s.state === "stopped")
      bad("state", `an ephemeral instance cannot be declared stopped: stopping it deletes it`, `declare lifecycle: "persistent", or leave state "running"`);

    for (const [k, v] of Object.entries(s.config ?? {})) {
      if (!CONFIG_KEY.test(k)) bad(`config.${k}`, `is not a valid config key (namespace.key, e.g. limits.cpu)`);
      else if (RESERVED_KEY.test(k)) bad(`config.${k}`, `is reserved (volatile.*, image.* belong to the backend, user.hostkit.* to HostKit)`);
      if (typeof v !== "string" || v.includes("\0")) bad(`config.${k}`, `must be a string without NUL bytes`);
    }

    const own = new Map<number, string>();
    for (const [e, f] of Object.entries(s.expose ?? {})) {
      const key = `expose.${e}`;
      if (!EXPOSE_NAME.test(e)) {
        bad(key, `is not a valid expose name (letters, digits, '_' and '-', up to 60 characters)`);
        continue;
      }
      let ok = true;
      for (const p of ["host", "guest"] as const) {
        const n = f[p];
        if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535) {
          bad(`${key}.${p}`, `must be a port number 1–65535, got ${JSON.stringify(n)}`);
          ok = false;
        }
      }
      if (typeof f.listen !== "string" || !(isIPv4(f.listen) || (isIPv6(f.listen) && !f.listen.includes("%")))) {
        bad(`${key}.listen`, `must be an IP address (e.g. 127.0.0.1), got ${JSON.stringify(f.listen)}`);
        ok = false;
      }
      if (!ok) continue;
      const who = `${subject} › ${key}`;
      const twice = own.get(f.host);
      const taken = (ports.get(f.host) ?? []).find((t) => t.listen === f.listen || WILDCARD.has(t.listen) || WILDCARD.has(f.listen));
      if (twice !== undefined) bad(`${key}.host`, `host port ${f.host} is exposed twice in this instance (also by expose.${twice})`);
      else if (taken) bad(`${key}.host`, `host port ${f.host} is exposed by two instances: ${taken.who} and ${who}`);
      own.set(f.host, e);
      ports.set(f.host, [...(ports.get(f.host) ?? []), { who, listen: f.listen }]);
    }
  }
  return out;
}
