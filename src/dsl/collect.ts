/**
 * @internal Reporting every mistake of an infra file at once. `project()` runs its callback with a
 * collector open: a DSL call that fails records its diagnostic here and evaluation goes on (the
 * call returns a harmless placeholder), and project() then throws them all together. `load()`
 * compiles what could be declared the same way, so compile-time mistakes join the list.
 */
import { HostKitError, type Diagnostic } from "../model/errors.ts";

/** At most this many diagnostics; the rest would only be consequences of the first ones. */
export const MAX_DIAGNOSTICS = 20;

let sink: Diagnostic[] | undefined;

/**
 * Run `fn` synchronously with a collector open: DSL errors inside it are recorded instead of thrown.
 * Synchronous on purpose: a collector open across an await would catch other code's errors.
 */
export function collectSync<T>(fn: () => T): { value?: T; error?: unknown; diagnostics: Diagnostic[] } {
  const outer = sink;
  const mine: Diagnostic[] = [];
  sink = mine;
  try {
    return { value: fn(), diagnostics: mine };
  } catch (error) {
    return { error, diagnostics: mine };
  } finally {
    sink = outer;
  }
}

/** Every mistake of a project's declarations, with what could be declared (load() compiles it too). */
export class DeclarationErrors extends HostKitError {
  constructor(
    diagnostics: Diagnostic[],
    readonly partial: unknown,
  ) {
    super(diagnostics);
  }
}

/** Diagnostics recorded before a non-HostKit exception (a TypeError in the infra file), carried on it. */
export const EARLIER = Symbol("hostkit.earlierDiagnostics");

/**
 * Run a project's callback collecting its mistakes; throw them all at once (a DeclarationErrors
 * carrying the partial declaration), or the infra file's own exception with the earlier ones on it.
 */
export function declareCollecting(partial: unknown, fn: () => void): void {
  const { error, diagnostics } = collectSync(fn);
  if (error === undefined && !diagnostics.length) return;
  if (error !== undefined && !(error instanceof HostKitError)) {
    if (diagnostics.length && error && typeof error === "object") (error as { [EARLIER]?: Diagnostic[] })[EARLIER] = diagnostics;
    throw error;
  }
  throw new DeclarationErrors([...diagnostics, ...(error instanceof HostKitError ? error.diagnostics : [])], partial);
}

/**
 * Record a DSL error when a collector is open (returns true: carry on), or return false (the caller
 * rethrows). When the collector is full, throws everything collected so far.
 */
export function record(e: unknown): boolean {
  if (!sink || !(e instanceof HostKitError)) return false;
  sink.push(...e.diagnostics);
  if (sink.length >= MAX_DIAGNOSTICS) {
    const all = sink.slice(0, MAX_DIAGNOSTICS);
    sink.length = 0;
    throw new HostKitError([...all.slice(0, -1), { ...all[all.length - 1]!, hint: `${all[all.length - 1]!.hint ? `${all[all.length - 1]!.hint}; ` : ""}stopped after ${MAX_DIAGNOSTICS} errors` }]);
  }
  return true;
}

const isThenable = (x: unknown): x is PromiseLike<unknown> => !!x && typeof (x as { then?: unknown }).then === "function";

/**
 * Run a container's callback. Declarations are synchronous: an `async` callback (or one returning
 * a promise) would declare things after its container closed, so it is refused with a clear error.
 */
export function runCallback<S>(cb: (scope: S) => unknown, scope: S, label: string, source: Diagnostic["source"]): void {
  const asyncError = () =>
    new HostKitError({
      subject: label,
      ...(source ? { source } : {}),
      message: "the callback must not be async: declarations are made synchronously",
      hint: "remove `async`; read files with readFileSync (node:fs) and compute values before project(…)",
    });
  if ((cb as { constructor?: { name?: string } }).constructor?.name === "AsyncFunction") throw asyncError();
  const ret = cb(scope);
  if (isThenable(ret)) {
    // Swallow its eventual rejection: the error below already says what is wrong.
    (ret as Promise<unknown>).then(undefined, () => {});
    throw asyncError();
  }
}
