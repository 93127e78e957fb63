/**
 * One process-wide queue for Repology requests. Repology's terms allow at most 1 request per second
 * and block clients that send several within the same second (repology-rs#539), so requests are
 * serialized (never in flight together) and each starts at least MIN_GAP_MS after the previous one
 * started. The gap has a margin above 1 s because the server sees arrivals, not our start times.
 */
export const MIN_GAP_MS = 1100;

let queue: Promise<unknown> = Promise.resolve();
let lastStart = Number.NEGATIVE_INFINITY;

/** Run `fn` when the process-wide limiter allows the next request; resolves with its result. */
export function limited<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    // Timers may fire a little early: re-check the clock until the full gap has passed.
    for (let wait = lastStart + MIN_GAP_MS - performance.now(); wait > 0; wait = lastStart + MIN_GAP_MS - performance.now()) {
      await Bun.sleep(Math.ceil(wait));
    }
    lastStart = performance.now();
    return fn();
  });
  queue = run.catch(() => undefined);
  return run;
}
