/**
 * Parses what `incus query --raw /1.0/instances/NAME?recursion=1` prints (real shapes in
 * test/fixtures/incus/ and integrations.md §3.5) into the backend-independent `InstanceState`.
 *
 * `--raw` wraps the answer in an envelope and exits 0 even for errors:
 *   {"type":"sync","status_code":200,"metadata":{…instance…}}
 *   {"type":"error","error_code":404,"error":"Failed to fetch instance \"x\" in project \"p\": Instance not found"}
 *   {"type":"error","error_code":404,"error":"Project not found"}
 * Only the first 404 means "absent"; anything else is an error the user must see.
 *
 * Only the instance's own `config` and `devices` are read (not `expanded_*`): keys and devices
 * inherited from profiles are not HostKit's to change.
 */
import type { ForwardState, InstanceState } from "./backend.ts";
import { DEVICE_PREFIX, KEY_IMAGE, KEY_KEYS, KEY_MANAGED, KEY_SEED, KEY_SEED_PASSWORD } from "./incus-argv.ts";

export class IncusParseError extends Error {
  override readonly name = "IncusParseError";
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The outcome of one read: the state, "absent", or Incus' own error text. */
export type ReadOutcome = { found: true; state: InstanceState } | { found: false } | { error: string; code: number };

export function parseReadOutput(stdout: string): ReadOutcome {
  let env: unknown;
  try {
    env = JSON.parse(stdout);
  } catch {
    throw new IncusParseError(`incus query printed something that is not JSON: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (!isObj(env)) throw new IncusParseError("incus query did not print a JSON object");
  if (env.type === "error") {
    const error = typeof env.error === "string" ? env.error : "unknown error";
    const code = typeof env.error_code === "number" ? env.error_code : 0;
    if (code === 404 && /Instance not found\s*$/.test(error)) return { found: false };
    return { error, code };
  }
  if (!isObj(env.metadata)) throw new IncusParseError("incus query answer has no instance object (metadata)");
  return { found: true, state: parseInstance(env.metadata) };
}

/** One instance object (the `metadata` of the envelope, or one element of `incus list --format json`). */
export function parseInstance(m: Json): InstanceState {
  const name = str(m.name, "name");
  const type = str(m.type, "type");
  if (type !== "container" && type !== "virtual-machine") throw new IncusParseError(`instance "${name}": unknown type "${type}"`);
  const rawConfig = isObj(m.config) ? m.config : {};
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawConfig)) {
    // volatile.* is Incus' bookkeeping, image.* describes the source image, user.hostkit.* is ours
    if (k.startsWith("volatile.") || k.startsWith("image.") || k.startsWith("user.hostkit.")) continue;
    if (typeof v === "string") config[k] = v;
  }
  const keys = typeof rawConfig[KEY_KEYS] === "string" ? (rawConfig[KEY_KEYS] as string).split(",").filter(Boolean) : [];
  const forwards: Record<string, ForwardState> = {};
  const otherDevices: string[] = [];
  for (const [dev, d] of Object.entries(isObj(m.devices) ? m.devices : {})) {
    if (dev.startsWith(DEVICE_PREFIX) && isObj(d) && d.type === "proxy") forwards[dev.slice(DEVICE_PREFIX.length)] = parseProxy(d);
    else otherDevices.push(dev);
  }
  const status = typeof m.status === "string" ? m.status.toLowerCase() : "unknown";
  const image = typeof rawConfig[KEY_IMAGE] === "string" ? (rawConfig[KEY_IMAGE] as string) : undefined;
  return {
    name,
    ...(typeof m.project === "string" ? { project: m.project } : {}),
    status,
    kind: type === "virtual-machine" ? "vm" : "container",
    lifecycle: m.ephemeral === true ? "ephemeral" : "persistent",
    managed: rawConfig[KEY_MANAGED] === "true",
    ...(image !== undefined ? { image } : {}),
    ...(typeof rawConfig[KEY_SEED] === "string" ? { seeded: rawConfig[KEY_SEED] as string } : {}),
    ...(typeof rawConfig[KEY_SEED_PASSWORD] === "string" ? { passwordSeeded: rawConfig[KEY_SEED_PASSWORD] as string } : {}),
    config,
    managedKeys: keys,
    forwards,
    otherDevices: otherDevices.sort(),
    addresses: addresses(m.state),
  };
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw new IncusParseError(`instance object has no string "${what}"`);
  return v;
}

/** `tcp:127.0.0.1:2222`, `tcp:[::1]:2222` → address and port; anything else (udp, unix, ranges) → undefined. */
export function parseAddress(s: unknown): { addr: string; port: number } | undefined {
  if (typeof s !== "string") return undefined;
  const m = /^tcp:(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { addr: (m[1] ?? m[2])!, port };
}

function parseProxy(d: Json): ForwardState {
  const raw = Object.entries(d)
    .filter(([k]) => k !== "type")
    .map(([k, v]) => `${k}=${String(v)}`)
    .sort()
    .join(" ");
  const l = parseAddress(d.listen);
  const c = parseAddress(d.connect);
  return {
    ...(l ? { listen: l.addr, host: l.port } : {}),
    ...(c ? { guestAddr: c.addr, guest: c.port } : {}),
    raw,
  };
}

function addresses(state: unknown): string[] {
  if (!isObj(state) || !isObj(state.network)) return [];
  const out: string[] = [];
  for (const [ifname, nic] of Object.entries(state.network)) {
    if (ifname === "lo" || !isObj(nic) || !Array.isArray(nic.addresses)) continue;
    for (const a of nic.addresses) if (isObj(a) && a.family === "inet" && typeof a.address === "string") out.push(a.address);
  }
  return out;
}
