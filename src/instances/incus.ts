/**
 * The Incus backend: runs the argv of `incus-argv.ts` through a Runner (by default on this machine)
 * and parses the answers with `incus-state.ts`. Thin on purpose: every decision about what to change
 * is made by `diff.ts`; this file only turns one decision into one or a few incus commands.
 *
 *   const backend = incusBackend({ sudo: true, project: "hostkit", profiles: ["hostkit"] });
 *   const state = await backend.read("demo-vm");      // one `incus query --raw …` call
 */
import { localRunner } from "../targets/local.ts";
import { text, type Runner } from "../targets/runner.ts";
import { BackendError, type BackendExecResult, type ConfigChange, type Forward, type ForwardState, type InstanceBackend, type InstanceSpec, type InstanceState, type Lifecycle, type PushFileOptions } from "./backend.ts";
import { forwardActions } from "./diff.ts";
import {
  configSetArgv,
  configUnsetArgv,
  createArgv,
  deleteArgv,
  deviceAddArgv,
  deviceRemoveArgv,
  deviceSetArgv,
  execArgv,
  KEY_KEYS,
  lifecycleArgv,
  managedKeysValue,
  projectOf,
  pushFileArgv,
  readArgv,
  startArgv,
  stopArgv,
  type IncusOptions,
} from "./incus-argv.ts";
import { parseReadOutput } from "./incus-state.ts";

export type { IncusOptions } from "./incus-argv.ts";

/** Creating unpacks the image (seconds on a dir pool); everything else is quick. */
const CREATE_TIMEOUT_MS = 300_000;
const DEFAULT_TIMEOUT_MS = 120_000;

/** `incus (sudo, project hostkit)` */
export function describeIncus(o: IncusOptions): string {
  const parts = [...(o.sudo ? ["sudo"] : []), `project ${projectOf(o)}`];
  return `incus (${parts.join(", ")})`;
}

/** Incus' message without its `Error: ` prefix, on one line. */
function incusMessage(stderr: string, stdout: string): string {
  const msg = (stderr.trim() || stdout.trim()).replace(/^Error:\s*/m, "").replace(/\s*\n\s*/g, " ");
  return msg || "no message";
}

/** Argv for messages: the program and its arguments, without the sudo prefix noise. */
function shown(argv: readonly string[]): string {
  const a = argv[0] === "sudo" && argv[1] === "-n" ? argv.slice(2) : argv;
  return a.map((x) => (/^[\w@%+=:,./-]+$/.test(x) ? x : JSON.stringify(x))).join(" ");
}

export function incusBackend(opts: IncusOptions = {}, runner: Runner = localRunner()): InstanceBackend {
  const o = { ...opts };

  async function run(argv: string[], x: { stdin?: Uint8Array | string; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
    const res = await runner.exec(argv, { timeoutMs: x.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(x.stdin !== undefined ? { stdin: x.stdin } : {}) });
    const stdout = text(res.stdout);
    const stderr = text(res.stderr);
    if (res.code !== 0) {
      const why = res.code === 124 ? "timed out" : `exit ${res.code}`;
      const hint =
        o.sudo && /password is required|a terminal is required/.test(stderr) ? " (sudo -n needs passwordless sudo for incus)"
        : res.code === 127 ? " (is Incus installed and on PATH?)"
        : "";
      throw new BackendError(`\`${shown(argv)}\` failed (${why}): ${incusMessage(stderr, stdout)}${hint}`, argv, res.code);
    }
    return { stdout, stderr };
  }

  async function read(name: string): Promise<InstanceState | undefined> {
    const argv = readArgv(o, name);
    const { stdout } = await run(argv);
    const r = parseReadOutput(stdout);
    if ("error" in r) {
      const hint = /Project not found/.test(r.error)
        ? ` — create it with: incus project create ${projectOf(o)} -c features.images=false -c features.profiles=false (so it sees the default project's images and profiles)`
        : "";
      throw new BackendError(`reading instance "${name}" in project "${projectOf(o)}" failed: ${r.error}${hint}`, argv, r.code);
    }
    return r.found ? r.state : undefined;
  }

  async function stop(name: string, x: { force?: boolean } = {}): Promise<void> {
    if (x.force) {
      await run(stopArgv(o, name, true));
      return;
    }
    try {
      await run(stopArgv(o, name));
    } catch (e) {
      // a guest that ignores the shutdown request within the timeout is stopped hard, like incus.sh does
      if (!(e instanceof BackendError) || !/timed out|Failed shutting down/i.test(e.message)) throw e;
      await run(stopArgv(o, name, true));
    }
  }

  async function applyConfig(name: string, change: ConfigChange): Promise<void> {
    // the ownership record goes with the values in one call, so they cannot disagree
    await run(configSetArgv(o, name, { ...change.set, [KEY_KEYS]: managedKeysValue(change.managedKeys) }));
    for (const k of change.unset) await run(configUnsetArgv(o, name, k));
  }

  async function applyDevices(name: string, want: Record<string, Forward>, have: Record<string, ForwardState>): Promise<void> {
    const actions = forwardActions(want, have);
    // removals first: a port moved from one exposed name to another must be free before it is added
    for (const a of actions) if (a.op === "forward-remove") await run(deviceRemoveArgv(o, name, a.name));
    for (const a of actions) {
      if (a.op === "forward-add") await run(deviceAddArgv(o, name, a.name, a.forward));
      else if (a.op === "forward-update") await run(deviceSetArgv(o, name, a.name, a.forward));
    }
  }

  async function pushFile(name: string, path: string, bytes: Uint8Array, x: PushFileOptions): Promise<void> {
    if (!path.startsWith("/") || /[\0\n]/.test(path)) throw new TypeError(`pushFile needs an absolute path without NUL or newline, got ${JSON.stringify(path)}`);
    // an empty body reaches incus as /dev/null: an empty file
    await run(pushFileArgv(o, name, path, x), { stdin: bytes });
  }

  async function exec(name: string, argv: readonly string[], x: { stdin?: Uint8Array | string; timeoutMs?: number } = {}): Promise<BackendExecResult> {
    const res = await runner.exec(execArgv(o, name, argv), { timeoutMs: x.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(x.stdin !== undefined ? { stdin: x.stdin } : {}) });
    return { code: res.code, stdout: text(res.stdout), stderr: text(res.stderr) };
  }

  return {
    kind: "incus",
    description: describeIncus(o),
    read,
    create: async (spec: InstanceSpec) => void (await run(createArgv(o, spec), { timeoutMs: CREATE_TIMEOUT_MS })),
    start: async (name: string) => void (await run(startArgv(o, name))),
    stop,
    delete: async (name: string) => void (await run(deleteArgv(o, name))),
    applyConfig,
    setLifecycle: async (name: string, lifecycle: Lifecycle) => void (await run(lifecycleArgv(o, name, lifecycle))),
    applyDevices,
    pushFile,
    exec,
  };
}
