/** @internal Captures the infra file:line of a DSL call from the stack. */
import type { SourceLoc } from "../model/source.ts";

const ownDir = import.meta.dir; // src/dsl when run from source; inside $bunfs when compiled
const srcDir = ownDir.replace(/\/dsl$/, "");
const FRAME = /\(?((?:\/|[A-Za-z]:\\)[^():]*?):(\d+):\d+\)?$/;

/** The first stack frame outside HostKit itself. */
export function callerLocation(): SourceLoc {
  return userFrame((new Error().stack ?? "").split("\n").slice(1).join("\n")) ?? { file: "<unknown>", line: 0 };
}

/** The first frame of a stack trace that is user code (not HostKit, not a dependency), if any. */
export function userFrame(stack: string): SourceLoc | undefined {
  for (const line of stack.split("\n")) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    const file = m[1]!;
    if (file.includes("$bunfs") || file.startsWith(srcDir + "/") || file.includes("/node_modules/")) continue;
    return { file: displayPath(file), line: Number(m[2]) };
  }
  return undefined;
}

/** Paths under the working directory are shown relative, as users typed them. */
export function displayPath(file: string): string {
  const cwd = process.cwd();
  return file.startsWith(cwd + "/") ? file.slice(cwd.length + 1) : file;
}
