/**
 * @internal How errors reach the terminal: each user error once, as diagnostics (`error: file:line:
 * …` plus an optional `  hint:`), never a stack; an unexpected error is "internal error" with a
 * readable stack only under --verbose or HOSTKIT_DEBUG=1.
 */
import { HostKitError } from "../model/errors.ts";
import { EXIT } from "./flags.ts";
import { stderrColor } from "./color.ts";

const red = (t: string) => (stderrColor() ? `\x1b[31m${t}\x1b[0m` : t);

/** Node/Bun file-system errors a user causes (a path that cannot be written): one line, no stack. */
const FS_CODES: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EISDIR: "is a directory",
  ENOTDIR: "a parent is not a directory",
  ENOSPC: "no space left on device",
  EEXIST: "already exists",
  EINVAL: "invalid argument (this file system does not accept the write)",
};

/** Remove paths inside the compiled binary (`/$bunfs/root/…`): they mean nothing to a user. */
export function scrubInternals(text: string): string {
  return text.replace(/\s*(?:imported )?from \/\$bunfs\/\S*/g, "").replace(/\/\$bunfs\/\S*/g, "hostkit");
}

export function reportError(e: unknown, o: { verbose?: boolean; detailedExitcode?: boolean } = {}): number {
  const write = (text: string) => process.stderr.write(`${red("error:")} ${scrubInternals(text)}\n`);
  if (e instanceof HostKitError) {
    // One line per diagnostic, each as "error: …" (a file with several mistakes lists them all).
    for (const line of e.message.split("\n")) {
      if (line.startsWith("  ")) process.stderr.write(`${scrubInternals(line)}\n`);
      else write(line);
    }
    // With --detailed-exitcode, 2 means "changes present": a usage error must not look like that.
    if (e.exitCode === EXIT.usage && o.detailedExitcode) return EXIT.error;
    return e.exitCode;
  }
  const err = e as Error & { code?: string; path?: string; syscall?: string };
  // The transport failed (unreachable host, refused key, lost connection): a user-facing condition.
  if (err?.name === "TransportError" || err?.name === "SshConnectError") {
    write(err.message);
    return EXIT.error;
  }
  if (err?.code === "EPIPE") return EXIT.error;
  if (err?.code && FS_CODES[err.code] && err.path) {
    write(`${err.path}: ${FS_CODES[err.code]}${err.syscall ? ` (${err.syscall})` : ""}`);
    return EXIT.error;
  }
  // citty's own usage errors are usage errors too.
  if (err?.name === "CLIError" || err?.code === "E_UNKNOWN_COMMAND" || err?.code === "EARG") {
    write(err.message);
    return o.detailedExitcode ? EXIT.error : EXIT.usage;
  }
  const debug = o.verbose || (!!process.env.HOSTKIT_DEBUG && process.env.HOSTKIT_DEBUG !== "0");
  const first = `${err?.name ?? "Error"}: ${err?.message ?? String(e)}`.split("\n")[0]!;
  process.stderr.write(`${red("internal error")} (a bug in HostKit; please report it): ${scrubInternals(first)}\n`);
  if (debug) process.stderr.write(`${readableStack(err)}\n`);
  else process.stderr.write("  hint: run again with --verbose (or HOSTKIT_DEBUG=1) for the stack trace\n");
  return EXIT.error;
}

/** The stack's frames only, one per line: never the minified source line Bun prints above a frame. */
function readableStack(err: Error | undefined): string {
  const stack = String(err?.stack ?? "");
  return stack
    .split("\n")
    .filter((l) => /^\s+at\s/.test(l))
    .map((l) => `  ${l.trim()}`)
    .join("\n");
}
