/** @internal Scope objects: exactly the methods valid in a container, and a clear error otherwise. */
import { HostKitError } from "../model/errors.ts";
import { callerLocation } from "./location.ts";
import { record } from "./collect.ts";

/**
 * What a failed declaration returns while load() collects errors: methods that return a path or an
 * address return a placeholder, so the rest of the file still evaluates without follow-on errors.
 */
const PLACEHOLDER: Record<string, unknown> = {
  rootPath: "/hostkit-invalid",
  storage: "/hostkit-invalid",
  env: "/hostkit-invalid",
  envFile: "/hostkit-invalid",
  listenerAddress: "127.0.0.1:0",
  serviceUser: "invalid",
  unitName: "invalid.service",
  writableStoragePaths: [],
};

/**
 * Wrap a container's methods so that an unknown method (a misplaced declaration such as `daemon`
 * at project level) and any use after the callback returned are diagnostics, not TypeErrors.
 * While load() collects (src/dsl/collect.ts) a failing call records its diagnostic and returns a
 * placeholder instead of throwing.
 */
export function makeScope<T extends object>(label: string, methods: T, isOpen: () => boolean): T {
  return new Proxy(methods, {
    get(target, prop, receiver) {
      if (typeof prop === "symbol" || prop === "then" || prop === "toJSON") return Reflect.get(target, prop, receiver);
      if (!(prop in target)) {
        const valid = Object.keys(target).filter((k) => typeof (target as Record<string, unknown>)[k] === "function");
        const e = new HostKitError({
          subject: label,
          key: prop,
          source: callerLocation(),
          message: `"${prop}" cannot be declared here`,
          hint: `valid inside ${label}: ${valid.join(", ")}`,
        });
        if (record(e)) return () => undefined;
        throw e;
      }
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          if (!isOpen()) {
            throw new HostKitError({ subject: label, key: prop, source: callerLocation(), message: "declared after its container's callback returned" });
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (e) {
          if (record(e)) return PLACEHOLDER[prop];
          throw e;
        }
      };
    },
  });
}
