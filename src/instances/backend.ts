/**
 * The instance model and the small interface a compute backend implements. Nothing here knows
 * Incus: a spec says what the user declared (image, kind, lifecycle, exposed ports, config keys),
 * a state says what the backend reports, and `diff.ts` compares the two. A second backend (another
 * container manager, a cloud API) is one more file implementing `InstanceBackend`.
 *
 * Ownership: HostKit changes only what it declared. Config keys it set are remembered by the
 * backend (`managedKeys`), exposed ports are the backend's forwards named after their `expose`
 * key; anything else on the instance (profile devices, keys set by hand) is never touched.
 */

export type InstanceKind = "container" | "vm";
export type Lifecycle = "ephemeral" | "persistent";
/** The running state the user wants. An ephemeral instance can only be "running" (stopping deletes it). */
export type PowerState = "running" | "stopped";

/** One exposed port: connections to `listen:host` on the backend's host reach `guest` inside. */
export interface Forward {
  /** Host address to listen on; loopback unless the user opts out. */
  listen: string;
  host: number;
  guest: number;
}

/** What the user may write for one `expose` entry (`listen` defaults to 127.0.0.1). */
export interface ExposeInput {
  host: number;
  guest: number;
  listen?: string;
}

/** The declaration as written (before defaults). The DSL passes this to `normalizeSpec`. */
export interface InstanceInput {
  name: string;
  image: string;
  kind?: InstanceKind;
  lifecycle?: Lifecycle;
  state?: PowerState;
  expose?: Record<string, ExposeInput>;
  config?: Record<string, string | number | boolean>;
}

/** A complete, normalized spec: every default filled in, config values as strings. */
export interface InstanceSpec {
  /** The backend's instance name (validated by `validateSpecs`). */
  name: string;
  image: string;
  kind: InstanceKind;
  lifecycle: Lifecycle;
  state: PowerState;
  /** expose name → forward; the name identifies the forward across runs. */
  expose: Record<string, Forward>;
  config: Record<string, string>;
}

export const DEFAULT_LISTEN = "127.0.0.1";

export function normalizeSpec(input: InstanceInput): InstanceSpec {
  const expose: Record<string, Forward> = {};
  for (const [k, e] of Object.entries(input.expose ?? {})) expose[k] = { listen: e.listen ?? DEFAULT_LISTEN, host: e.host, guest: e.guest };
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.config ?? {})) config[k] = String(v);
  return {
    name: input.name,
    image: input.image,
    kind: input.kind ?? "container",
    lifecycle: input.lifecycle ?? "persistent",
    state: input.state ?? "running",
    expose,
    config,
  };
}

/** A forward as read back. Fields the backend could not parse (another protocol, a range) are absent. */
export interface ForwardState {
  listen?: string;
  host?: number;
  guest?: number;
  /** The guest-side address (HostKit connects to the guest's loopback). */
  guestAddr?: string;
  /** The backend's own description, for messages, e.g. `listen=tcp:127.0.0.1:2222 connect=tcp:127.0.0.1:22`. */
  raw: string;
}

/** Lower-case status; "running" and "stopped" are the two HostKit acts on, others are reported. */
export type InstanceStatus = "running" | "stopped" | "frozen" | "error" | (string & {});

/** What one backend read returns about an existing instance. */
export interface InstanceState {
  name: string;
  /** The backend's scope (Incus project), for messages. */
  project?: string;
  status: InstanceStatus;
  kind: InstanceKind;
  lifecycle: Lifecycle;
  /** True when HostKit created it (the backend keeps a marker). */
  managed: boolean;
  /** The image HostKit created it from (as declared then), when HostKit created it. */
  image?: string;
  /** The digest of the public key HostKit seeded, when it did (see the instance kind). */
  seeded?: string;
  /** Whose password HostKit set and from which secret (`user:env:NAME`), when it did; never the value. */
  passwordSeeded?: string;
  /** The instance's own config keys (not inherited from profiles), without the backend's volatile keys. */
  config: Record<string, string>;
  /** Config keys HostKit set on an earlier run: the only keys it may change or remove. */
  managedKeys: string[];
  /** Forwards HostKit owns, by expose name. */
  forwards: Record<string, ForwardState>;
  /** Names of other devices on the instance itself (not HostKit's, never touched), for messages. */
  otherDevices: string[];
  /** IPv4 addresses inside the guest, when the backend reports them. */
  addresses: string[];
}

/** What `applyConfig` needs: values to set, keys to remove, and the new set of HostKit-owned keys. */
export interface ConfigChange {
  set: Record<string, string>;
  unset: string[];
  managedKeys: string[];
}

export interface PushFileOptions {
  /** Permission bits, e.g. 0o600. */
  mode: number;
  uid: number;
  gid: number;
}

export interface BackendExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A compute backend. Every method is one or a few backend commands; none talks to the guest over
 * the network (files and commands go through the backend's own channel).
 * Errors: a failed backend command throws `BackendError` with the backend's message.
 */
export interface InstanceBackend {
  /** "incus" — shown in plans. */
  readonly kind: string;
  /** e.g. `incus (sudo, project hostkit)`, for messages. */
  readonly description: string;
  /** One state read; undefined when the instance does not exist. */
  read(name: string): Promise<InstanceState | undefined>;
  /** Create the instance (stopped) from `spec.image` with its kind, lifecycle and config. Forwards are separate. */
  create(spec: InstanceSpec): Promise<void>;
  start(name: string): Promise<void>;
  /** Stop; `force` kills instead of a clean shutdown. An ephemeral instance is deleted by stopping. */
  stop(name: string, opts?: { force?: boolean }): Promise<void>;
  /** Delete (stopping it first when running). */
  delete(name: string): Promise<void>;
  /** Set/unset config keys and record which keys HostKit owns. */
  applyConfig(name: string, change: ConfigChange): Promise<void>;
  /** Change the lifecycle of an existing instance. */
  setLifecycle(name: string, lifecycle: Lifecycle): Promise<void>;
  /** Make HostKit's forwards equal `want` (add, update in place, remove), given what `read` returned. */
  applyDevices(name: string, want: Record<string, Forward>, have: Record<string, ForwardState>): Promise<void>;
  /** Write a file inside the guest through the backend (never over the network). */
  pushFile(name: string, path: string, bytes: Uint8Array, opts: PushFileOptions): Promise<void>;
  /** Run argv inside the guest; a non-zero exit is a result, not an exception. */
  exec(name: string, argv: readonly string[], opts?: { stdin?: Uint8Array | string; timeoutMs?: number }): Promise<BackendExecResult>;
}

/** A backend command failed. `command` is the argv shown to the user (no secrets travel in argv). */
export class BackendError extends Error {
  override readonly name = "BackendError";
  constructor(
    message: string,
    readonly command: readonly string[],
    readonly code: number,
  ) {
    super(message);
  }
}
