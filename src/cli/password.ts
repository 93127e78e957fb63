/**
 * @internal `--password VALUE` stays as the seed's escape hatch, but the value sits in the process
 * list (`ps`, /proc/PID/cmdline) where any user of the machine can read it. Warn, point to
 * `--password-env NAME`, and right after parsing overwrite the value in this process's own
 * command line (the memory the kernel shows as /proc/PID/cmdline, on Linux) and in process.argv.
 * It was visible until then, hence the warning.
 */
import { readFileSync } from "node:fs";

export const PASSWORD_WARNING =
  "--password puts the password on the command line, where other users of this machine can read it (ps, /proc); use --password-env NAME to read it from an environment variable";

/** Overwrite the values of --password in the kernel's copy of argv (Linux): '*' of the same length. */
async function wipeKernelArgv(): Promise<void> {
  if (process.platform !== "linux") return;
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after "(comm)": the 3rd field first; arg_start and arg_end are fields 48 and 49.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = Number(fields[48 - 3]);
    const end = Number(fields[49 - 3]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start <= 0 || end <= start || end - start > 1 << 20) return;
    const { toArrayBuffer } = await import("bun:ffi");
    const mem = new Uint8Array(toArrayBuffer(start as unknown as Parameters<typeof toArrayBuffer>[0], 0, end - start));
    // Arguments are NUL-terminated strings, one after another.
    const args: { at: number; text: string }[] = [];
    let at = 0;
    for (let i = 0; i <= mem.length; i++) {
      if (i === mem.length || mem[i] === 0) {
        args.push({ at, text: Buffer.from(mem.subarray(at, i)).toString("utf8") });
        at = i + 1;
      }
    }
    const star = (from: number, to: number) => mem.fill(0x2a, from, to);
    for (const [i, a] of args.entries()) {
      if (a.text === "--password" && args[i + 1]) star(args[i + 1]!.at, args[i + 1]!.at + Buffer.byteLength(args[i + 1]!.text));
      else if (a.text.startsWith("--password=")) star(a.at + "--password=".length, a.at + Buffer.byteLength(a.text));
    }
  } catch {
    // Best effort: the warning already told the user.
  }
}

export async function guardPassword(rawArgs: readonly string[]): Promise<void> {
  if (!rawArgs.some((a) => a === "--password" || a.startsWith("--password="))) return;
  await wipeKernelArgv();
  process.stderr.write(`warning: ${PASSWORD_WARNING}\n`);
  for (let i = 0; i < process.argv.length; i++) {
    const a = process.argv[i]!;
    if (a === "--password" && i + 1 < process.argv.length) process.argv[i + 1] = "***";
    else if (a.startsWith("--password=")) process.argv[i] = "--password=***";
  }
}
