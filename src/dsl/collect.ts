/**
 * @internal Reporting every mistake of an infra file at once. While `load()` evaluates an infra file
 * it opens a collector: a DSL call that fails records its diagnostic here and evaluation goes on
 * (the call returns a harmless placeholder), so a file with three mistakes gets three diagnostics.
 * Outside `load()` (the runtime API in a program) nothing collects and the first error throws.
 */
import { HostKitError, type Diagnostic } from "../model/errors.ts";

/** At most this many diagnostics; the rest would only be consequences of the first ones. */
export const MAX_DIAGNOSTICS = 20;

let sink: Diagnostic[] | undefined;

/** Collect DSL errors while `fn` runs; returns them with fn's result (or its own exception). */
export async function collectDiagnostics<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; diagnostics: Diagnostic[] }> {
  const outer = sink;
  const mine: Diagnostic[] = [];
  sink = mine;
  try {
    return { value: await fn(), diagnostics: mine };
  } catch (error) {
    return { error, diagnostics: mine };
  } finally {
    sink = outer;
  }
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
