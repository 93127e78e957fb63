/**
 * `instance`: a lifecycle-managed machine (an Incus container or VM) on the CONTROLLER. Its probe is
 * the backend's one JSON state read and its ops are backend commands; both run through the runner of
 * the instance's controller target (a local target named after the instance: see
 * src/instances/targets.ts), never on the host the plan's other resources go to. The nested host's
 * contents are planned and applied through that host's own SSH endpoint afterwards
 * (src/instances/orchestrate.ts).
 *
 * Apply, in order: create (stopped) from the image, proxy devices from `expose`, config, start, seed
 * the nested host's public key through the backend, record the seed, wait (bounded) until the nested
 * host's SSH answers. Drift: image and kind (notes: fixed at create), config keys HostKit set,
 * lifecycle, running state, proxy devices, the seeded key (one config key, read with the state).
 * Down: delete an instance the run created (rollback policy, default delete_if_created); for one it
 * updated, restore what the run changed (src/instances/restore.ts): config keys HostKit set, lifecycle,
 * exposed ports, running state. Seeded credentials stay (said in a warning).
 */
import * as v from "valibot";
import { createHash } from "node:crypto";
import { BASE, RollbackSchema } from "../model/resource.ts";
import { defineKind, type Decision, type Inverse, type KindChange, type Op } from "../model/kind.ts";
import type { Change } from "../model/plan.ts";
import { HostKitError } from "../model/errors.ts";
import { text } from "../targets/runner.ts";
import type { InstanceSpec, InstanceState } from "../instances/backend.ts";
import { diffInstance, describeForward, type InstanceAction } from "../instances/diff.ts";
import { BackendReadError, commandsFor, type BackendRef } from "../instances/commands.ts";
import { FORGET_HOST_KEY, SEED_KEY, WAIT_SSH } from "../instances/scripts.ts";
import { sameKey } from "./inverse.ts";
import { restoreActions } from "../instances/restore.ts";
import type { ForwardState } from "../instances/backend.ts";
import { SecretRefSchema } from "../model/secret.ts";

const Port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));

export const InstanceSchema = v.strictObject({
  ...BASE,
  type: v.literal("instance"),
  /** The backend's instance name (the declaration name with '_' → '-', or `name`). */
  name: v.string(),
  backend: v.strictObject({ type: v.string(), sudo: v.optional(v.boolean()), project: v.optional(v.string()), profiles: v.optional(v.array(v.string())), bin: v.optional(v.string()) }),
  image: v.string(),
  kind: v.picklist(["container", "vm"]),
  lifecycle: v.picklist(["ephemeral", "persistent"]),
  state: v.picklist(["running", "stopped"]),
  expose: v.record(v.string(), v.strictObject({ listen: v.string(), host: Port, guest: Port })),
  config: v.record(v.string(), v.string()),
  rollback: RollbackSchema,
  /** The nested host's public key, pushed into `user`'s authorized_keys through the backend. */
  seed: v.optional(v.strictObject({ user: v.string(), publicKey: v.string() })),
  /** The nested host's password (a secret reference, never a value), set for `user` with chpasswd through the backend. */
  seedPassword: v.optional(v.strictObject({ user: v.string(), secret: SecretRefSchema })),
  /** Where the nested host's SSH answers, and how long to wait for it. */
  ssh: v.optional(
    v.strictObject({
      host: v.string(),
      port: Port,
      timeoutSeconds: v.pipe(v.number(), v.integer(), v.minValue(1)),
      /** The nested host's known_hosts file when it accepts new keys: a new instance's stale entry is removed. */
      forgetIn: v.optional(v.string()),
    }),
  ),
  /** The nested host's name (its contents are planned through it). */
  nestedHost: v.optional(v.string()),
});
export type Instance = v.InferOutput<typeof InstanceSchema>;

/** What the probe read: the state, or null when the instance does not exist. */
type Fact = InstanceState | null;

export function specOf(r: Instance): InstanceSpec {
  return { name: r.name, image: r.image, kind: r.kind, lifecycle: r.lifecycle, state: r.state, expose: r.expose, config: r.config };
}

/** The seed record: a digest of the key (type and body) and the user, never the key itself. */
export function seedId(seed: { user: string; publicKey: string }): string {
  const id = seed.publicKey.trim().split(/\s+/).slice(0, 2).join(" ");
  return `${seed.user}:sha256:${createHash("sha256").update(id).digest("hex").slice(0, 32)}`;
}

/** The password seed record: whose password, from which secret; never the value nor a digest of it (a short one would be guessed). */
export function passwordId(seed: { user: string; secret: { $secret: { env: string } } }): string {
  return `${seed.user}:env:${seed.secret.$secret.env}`;
}

interface Planned {
  actions: InstanceAction[];
  seed: boolean;
  /** Set the declared password (the instance is new, or the user or secret named changed). */
  password: boolean;
  wait: boolean;
  notes: string[];
}

/** Everything one change does, from the declaration and the state it was planned against (pure). */
function planned(r: Instance, state: InstanceState | undefined): Planned {
  const d = diffInstance(specOf(r), state);
  const running = r.state === "running";
  const seed = !!r.seed && running && state?.seeded !== seedId(r.seed);
  const password = !!r.seedPassword && running && state?.passwordSeeded !== passwordId(r.seedPassword);
  const wait = running && !!r.ssh && (d.actions.length > 0 || seed || password);
  return { actions: d.actions, seed, password, wait, notes: d.notes };
}

function reasons(p: Planned, r: Instance): string[] {
  return [
    ...p.actions.map((a) => a.reason),
    ...(p.seed ? [`seed ${r.seed!.user}'s authorized_keys with the nested host's public key (through the backend)`] : []),
    ...(p.password ? [`set ${r.seedPassword!.user}'s password from $${r.seedPassword!.secret.$secret.env} (chpasswd through the backend)`] : []),
    ...(p.wait ? [`wait up to ${r.ssh!.timeoutSeconds} s for SSH on ${r.ssh!.host}:${r.ssh!.port}`] : []),
    ...p.notes.map((n) => `note: ${n}`),
  ];
}

function diff(r: Instance, fact: Fact): Decision {
  const state = fact ?? undefined;
  const p = planned(r, state);
  const after = { exists: true, status: r.state, image: r.image, kind: r.kind, expose: r.expose, config: r.config, ...(r.nestedHost ? { contentsReadable: false } : {}) };
  if (!p.actions.length && !p.seed && !p.password) return { action: "noop", reason: p.notes.length ? `unchanged (${p.notes.join("; ")})` : "unchanged", ...(state ? { before: { ...state } } : {}) };
  // Its contents can be read before this change only when the guest already answers where declared.
  const readable = !!state && state.status === "running" && !p.actions.some((a) => a.op === "start" || a.op.startsWith("forward-")) && !p.seed && !p.password;
  const all = reasons(p, r);
  return {
    action: state ? "update" : "create",
    // one line; every step is listed under it (formatDiff)
    reason: all.length > 1 ? `${all[0]} (+${all.length - 1} more)` : all[0]!,
    ...(state ? { before: { ...state } } : {}),
    after: { ...after, steps: all, ...(r.nestedHost ? { contentsReadable: readable } : {}) },
  };
}

/** Backend commands for diff (or restore) actions, in their order; the exposed-port ones together at the first. */
function actionOps(r: Instance, actions: readonly InstanceAction[]): Op[] {
  const b: BackendRef = r.backend;
  const c = commandsFor(b);
  const ops: Op[] = [];
  const spec = specOf(r);
  const forwards = actions.filter((a) => a.op.startsWith("forward-"));
  // removals first: a port moved from one exposed name to another must be free before it is added
  const ordered = [...forwards.filter((a) => a.op === "forward-remove"), ...forwards.filter((a) => a.op !== "forward-remove")];
  for (const a of actions) {
    switch (a.op) {
      case "create":
        ops.push({ label: `create ${r.kind} ${r.name} from ${r.image}`, argv: c.create(b, spec) });
        break;
      case "config":
        for (const argv of c.config(b, r.name, a.change)) ops.push({ label: `config of ${r.name}: ${a.reason}`, argv });
        break;
      case "lifecycle":
        ops.push({ label: `make ${r.name} ${a.lifecycle}`, argv: c.lifecycle(b, r.name, a.lifecycle) });
        break;
      case "start":
        ops.push({ label: `start ${r.name}`, argv: c.start(b, r.name) });
        break;
      case "stop":
        ops.push({ label: `stop ${r.name}`, argv: c.stop(b, r.name) });
        break;
      default:
        if (a === forwards[0]) for (const f of ordered) ops.push({ label: f.reason, argv: c.forward(b, r.name, f as never) });
    }
  }
  return ops;
}

function upOps(r: Instance, state: InstanceState | undefined): Op[] {
  const b: BackendRef = r.backend;
  const c = commandsFor(b);
  const p = planned(r, state);
  const ops = actionOps(r, p.actions);
  // A new instance has new host keys: the entry its predecessor left in the declared known_hosts
  // file is removed, so the nested host (acceptHosts) records the new key instead of refusing it.
  if (state === undefined && r.ssh?.forgetIn) {
    // the declared endpoint and every exposed port lead to the new instance now
    const entry = (host: string, port: number) => (port === 22 ? host : `[${host}]:${port}`);
    const entries = [...new Set([entry(r.ssh.host, r.ssh.port), ...Object.values(r.expose).map((f) => entry(f.listen, f.host))])];
    ops.push({ label: `forget old host keys of ${entries.join(", ")} in ${r.ssh.forgetIn}`, argv: ["sh", "-c", FORGET_HOST_KEY, "hostkit-forget", r.ssh.forgetIn, ...entries] });
  }
  if (p.seed) {
    ops.push({ label: `seed ${r.seed!.user}'s authorized_keys in ${r.name}`, argv: c.exec(b, r.name, ["sh", "-c", SEED_KEY, "hostkit-seed", r.seed!.user]), stdin: { text: `${r.seed!.publicKey.trim()}\n` } });
    ops.push({ label: `record the seeded key on ${r.name}`, argv: c.configSet(b, r.name, { [c.seedKey]: seedId(r.seed!) }) });
  }
  if (p.password) {
    const s = r.seedPassword!;
    // the value goes on chpasswd's stdin (resolved at apply, scrubbed from output), never into argv
    ops.push({ label: `set ${s.user}'s password in ${r.name} (chpasswd through the backend)`, argv: c.exec(b, r.name, ["chpasswd"]), stdin: { secretLine: { prefix: `${s.user}:`, secret: s.secret } } });
    ops.push({ label: `record whose password was set on ${r.name}`, argv: c.configSet(b, r.name, { [c.seedPasswordKey]: passwordId(s) }) });
  }
  if (p.wait) ops.push({ label: `wait up to ${r.ssh!.timeoutSeconds} s for SSH on ${r.ssh!.host}:${r.ssh!.port}`, argv: ["bash", "-c", WAIT_SSH, "hostkit-wait", r.ssh!.host, String(r.ssh!.port), String(r.ssh!.timeoutSeconds)] });
  return ops;
}

/** Exposed ports as a re-read confirms them: listen, host and guest port by expose name. */
function exposed(fs: Record<string, { listen?: string; host?: number; guest?: number }>): Record<string, string> {
  return Object.fromEntries(Object.entries(fs).map(([k, f]) => [k, `${f.listen ?? "?"}:${f.host ?? "?"}->${f.guest ?? "?"}`]));
}

/**
 * The state an applied change leaves (down plans are refused when the instance no longer looks so):
 * existence, running state, HostKit's exposed ports and config keys. One projection for every change
 * (unknown.ts and findDownDrift compare it whole): a created instance whose ports were changed since is
 * not deleted by that run's down plan either. `after` carries `expose` and
 * `config` (up changes: the declaration's; down changes: what they restore).
 */
function settled(c: Pick<Change, "action" | "after">) {
  if (c.action === "delete") return { exists: false };
  const a = c.after as { status?: string; expose?: Record<string, ForwardState>; config?: Record<string, string> } | undefined;
  if (!a) return undefined;
  return { exists: true, status: a.status, ...(a.expose ? { expose: exposed(a.expose) } : {}), ...(a.config ? { config: a.config } : {}) };
}

function invert(ch: KindChange<Instance>): Inverse {
  const r = ch.resource;
  if (!r) return { warning: `${ch.key}: no declaration recorded, not reversed` };
  const before = ch.before as InstanceState | undefined;
  if (ch.action === "create") {
    if (r.rollback === "keep") return { kept: `${ch.key} (instance ${r.name}) is kept: rollback "keep"` };
    return { change: { ...sameKey(ch), action: "delete", reason: `created by the run: delete instance ${r.name} (rollback ${r.rollback})`, ...(ch.after ? { before: ch.after } : {}), after: { exists: false }, resource: r } };
  }
  if (ch.action === "update" && before) {
    if (r.rollback === "delete") return { change: { ...sameKey(ch), action: "delete", reason: `delete instance ${r.name} (rollback "delete")`, before: { exists: true }, after: { exists: false }, resource: r } };
    const back = restoreActions(specOf(r), before, r.name);
    const seeded = planned(r, before);
    const notes = [...back.warnings, ...(seeded.seed || seeded.password ? [`${ch.key}: the ${[seeded.seed ? "seeded key" : "", seeded.password ? "password set" : ""].filter(Boolean).join(" and ")} in the guest stay (a down plan does not take credentials back)`] : [])];
    const warning = notes.length ? notes.join("; ") : undefined;
    if (!back.actions.length) return warning ? { warning } : {};
    const steps = back.actions.map((a) => a.reason);
    return {
      change: {
        ...sameKey(ch),
        action: "update",
        reason: steps.length > 1 ? `${steps[0]} (+${steps.length - 1} more)` : steps[0]!,
        before: { exists: true, status: r.state, expose: r.expose, config: r.config },
        after: { exists: true, status: before.status, expose: back.forwards, config: back.config, steps, restore: back.actions },
        resource: r,
      },
      ...(warning ? { warning } : {}),
    };
  }
  return {};
}

export const instance = defineKind<Instance, Fact>({
  type: "instance",
  schema: InstanceSchema,
  probe: (r) => [commandsFor(r.backend).read(r.backend, r.name)],
  parse(r, out) {
    const o = out[0];
    if (!o) throw new HostKitError({ subject: `instance:${r.id}`, message: "the backend state was not read" });
    try {
      return commandsFor(r.backend).parseRead(text(o.stdout), o.code, text(o.stderr)) ?? null;
    } catch (e) {
      if (e instanceof BackendReadError) throw new HostKitError({ subject: `instance:${r.id}`, source: r.source, message: e.message });
      throw e;
    }
  },
  diff,
  // the password is resolved only when an op seeds it; checked to be set before anything is applied
  secretRefs: (c) => (c.resource?.seedPassword && (c.action === "create" || c.action === "update") ? { password: c.resource.seedPassword.secret } : ({} as Record<string, never>)),
  // addresses change with DHCP leases and say nothing about what HostKit manages
  basis: (f) => (f ? { ...f, addresses: [] } : null),
  ops(change) {
    const r = change.resource!;
    const b = r.backend;
    const c = commandsFor(b);
    if (change.action === "delete") return [{ label: `delete instance ${r.name}`, argv: c.delete(b, r.name) }];
    // a down plan's restore: the inverted actions it recorded (restore.ts)
    const restore = (change.after as { restore?: InstanceAction[] } | undefined)?.restore;
    if (restore) return actionOps(r, restore);
    return upOps(r, change.before as InstanceState | undefined);
  },
  down: {
    invert,
    settled,
    observed: (f) => (f ? { exists: true, status: f.status, expose: exposed(f.forwards), config: Object.fromEntries(f.managedKeys.filter((k) => k in f.config).map((k) => [k, f.config[k]])) } : { exists: false }),
  },
  formatDiff: (ch) => {
    const steps = (ch.after as { steps?: unknown } | undefined)?.steps;
    return Array.isArray(steps) && steps.length > 1 ? steps.map((l) => `· ${String(l)}`) : [];
  },
  describe: (r) => `${r.kind} ${r.name} from ${r.image} via ${commandsFor(r.backend).describe(r.backend)}${Object.keys(r.expose).length ? `; ${Object.entries(r.expose).map(([k, f]) => `${k} ${describeForward(f)}`).join(", ")}` : ""}`,
});
