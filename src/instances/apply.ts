/**
 * Carries out the actions of `diffInstance` through a backend, in the diff's order. Forward actions
 * are handed to `backend.applyDevices` in one go (it recomputes the same per-port actions from want
 * and have, removals first). Seeding credentials and waiting for SSH are separate steps
 * (`seed.ts`, `wait.ts`): the caller decides when, because they need the nested host's settings.
 */
import type { ForwardState, InstanceBackend, InstanceSpec, InstanceState } from "./backend.ts";
import type { InstanceAction } from "./diff.ts";

export interface ApplyProgress {
  action: InstanceAction;
  /** "start" before the backend call, "done" after it. */
  phase: "start" | "done";
}

export interface ApplyResult {
  /** True when this run created the instance (the rollback policy deletes only such instances). */
  created: boolean;
  /** True when this run started it (a down plan stops it again). */
  started: boolean;
}

export async function applyInstance(
  backend: InstanceBackend,
  spec: InstanceSpec,
  state: InstanceState | undefined,
  actions: readonly InstanceAction[],
  onProgress?: (p: ApplyProgress) => void,
): Promise<ApplyResult> {
  const result: ApplyResult = { created: false, started: false };
  let forwardsDone = false;
  const have: Record<string, ForwardState> = state?.forwards ?? {};
  const forwards = actions.filter((a) => a.op.startsWith("forward-"));
  for (const a of actions) {
    if (a.op.startsWith("forward-")) {
      // one backend call for all ports: it recomputes the same per-port actions, removals first
      if (forwardsDone) continue;
      for (const f of forwards) onProgress?.({ action: f, phase: "start" });
      await backend.applyDevices(spec.name, spec.expose, result.created ? {} : have);
      forwardsDone = true;
      for (const f of forwards) onProgress?.({ action: f, phase: "done" });
      continue;
    }
    onProgress?.({ action: a, phase: "start" });
    switch (a.op) {
      case "create":
        await backend.create(spec);
        result.created = true;
        break;
      case "config":
        await backend.applyConfig(spec.name, a.change);
        break;
      case "lifecycle":
        await backend.setLifecycle(spec.name, a.lifecycle);
        break;
      case "start":
        await backend.start(spec.name);
        result.started = true;
        break;
      case "stop":
        await backend.stop(spec.name);
        break;
    }
    onProgress?.({ action: a, phase: "done" });
  }
  return result;
}
