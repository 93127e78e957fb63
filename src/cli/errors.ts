/** @internal How errors reach the terminal: diagnostics for users, a stack only for our own bugs. */
import { HostKitError } from "../model/errors.ts";

export function reportError(e: unknown): number {
  if (e instanceof HostKitError) {
    process.stderr.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as Error & { code?: string };
  // The transport failed (unreachable host, refused key, lost connection): a user-facing condition.
  if (err?.name === "TransportError" || err?.name === "SshConnectError") {
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  if (err?.code === "EPIPE") return 1;
  // citty's own usage errors (unknown flag values etc.) are user errors too.
  if (err?.name === "CLIError" || err?.code === "E_UNKNOWN_COMMAND" || err?.code === "EARG") {
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`internal error (a bug in HostKit; please report it):\n${err?.stack ?? String(e)}\n`);
  return 1;
}
