/**
 * @internal `--password VALUE` stays as the seed's escape hatch, but the value sits in the process
 * list (`ps`, /proc/PID/cmdline) where any user of the machine can read it. Warn, point to
 * `--password-env NAME`, and drop the value from this process's own argv so nothing in HostKit
 * (error reports, child processes that inherit argv) can repeat it. The kernel's copy of the command
 * line cannot be rewritten from Bun, hence the warning.
 */
export function guardPassword(rawArgs: readonly string[]): void {
  const idx = rawArgs.findIndex((a) => a === "--password" || a.startsWith("--password="));
  if (idx === -1) return;
  process.stderr.write(
    "warning: --password puts the password on the command line, where other users of this machine can read it (ps, /proc); use --password-env NAME to read it from an environment variable\n",
  );
  for (let i = 0; i < process.argv.length; i++) {
    const a = process.argv[i]!;
    if (a === "--password" && i + 1 < process.argv.length) process.argv[i + 1] = "***";
    else if (a.startsWith("--password=")) process.argv[i] = "--password=***";
  }
}
