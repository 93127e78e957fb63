/** @internal Scope objects: exactly the methods valid in a container, and a clear error otherwise. */
import { HostKitError } from "../model/errors.ts";
import { callerLocation } from "./location.ts";

/**
 * Wrap a container's methods so that an unknown method (a misplaced declaration such as `daemon`
 * at project level) and any use after the callback returned are diagnostics, not TypeErrors.
 */
export function makeScope<T extends object>(label: string, methods: T, isOpen: () => boolean): T {
  return new Proxy(methods, {
    get(target, prop, receiver) {
      if (typeof prop === "symbol" || prop === "then" || prop === "toJSON") return Reflect.get(target, prop, receiver);
      if (!(prop in target)) {
        const valid = Object.keys(target).filter((k) => typeof (target as Record<string, unknown>)[k] === "function");
        throw new HostKitError({
          subject: label,
          key: prop,
          source: callerLocation(),
          message: `"${prop}" cannot be declared here`,
          hint: `valid inside ${label}: ${valid.join(", ")}`,
        });
      }
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (!isOpen()) {
          throw new HostKitError({ subject: label, key: prop, source: callerLocation(), message: "declared after its container's callback returned" });
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
