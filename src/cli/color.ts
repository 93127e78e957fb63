/**
 * @internal Colour, decided once at start: FORCE_COLOR (anything but "0"/"false") turns it on even
 * into a pipe, NO_COLOR (non-empty) turns it off, otherwise colour exactly when the stream is a
 * terminal. Decided before citty and consola are imported, because they read the environment once.
 */
let decided: { stdout: boolean; stderr: boolean } | undefined;

function forStream(stream: { isTTY?: boolean }): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== "" && force !== "0" && force !== "false") return true;
  if (process.env.NO_COLOR) return false;
  if (force === "0" || force === "false") return false;
  return !!stream.isTTY && process.env.TERM !== "dumb";
}

export function decideColor(): { stdout: boolean; stderr: boolean } {
  if (decided) return decided;
  decided = { stdout: forStream(process.stdout), stderr: forStream(process.stderr) };
  // consola (progress on stderr) follows the stderr decision.
  if (!decided.stderr) {
    process.env.NO_COLOR ||= "1";
    delete process.env.FORCE_COLOR;
  }
  return decided;
}

/** Colour for results on stdout. */
export function stdoutColor(): boolean {
  return decideColor().stdout;
}

/** Colour for diagnostics and progress on stderr. */
export function stderrColor(): boolean {
  return decideColor().stderr;
}
