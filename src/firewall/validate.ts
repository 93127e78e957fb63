/**
 * Runs `nft -c -f` on a rendered file and returns nft's own message when it rejects it. On the
 * controller, unprivileged, the check runs in a fresh user+network namespace (`unshare -rn`,
 * reference integrations.md §2.2): the kernel still validates the whole batch, but against an empty
 * ruleset, so a self-contained file (ours: add + delete + recreate) is judged completely.
 *
 * The text goes to a private temp file (mode 0600 in a 0700 directory), removed afterwards. nft's
 * message names that temp file; it is rewritten to `displayPath` and each error line is followed by
 * the label of the rule that produced it, when known.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localRunner } from "../targets/local.ts";
import { text as decode, type Runner } from "../targets/runner.ts";
import { DEFAULT_PATH } from "./nftables.ts";

export type ValidateResult = { ok: true } | { ok: false; code: number; message: string };

export interface ValidateOptions {
  /** Run nft inside `unshare -rn` (default true: works unprivileged and never touches the real ruleset). */
  namespace?: boolean;
  /** Where the runner executes (default: a local runner on the controller). Must see the temp file. */
  runner?: Runner;
  /** The name nft's messages should show instead of the temp file (default the rendered file's path). */
  displayPath?: string;
  /** Line → rule label, from `renderWithMap`, to name the rule an error points at. */
  lines?: Map<number, string>;
  /** Program to run (default `nft` from PATH). */
  nft?: string;
}

/** The argv `validate` runs for `file`. */
export function checkArgv(file: string, opts: Pick<ValidateOptions, "namespace" | "nft"> = {}): string[] {
  return [...(opts.namespace === false ? [] : ["unshare", "--user", "--map-root-user", "--net"]), opts.nft ?? "nft", "-c", "-f", file];
}

export async function validate(text: string, opts: ValidateOptions = {}): Promise<ValidateResult> {
  const dir = await mkdtemp(join(tmpdir(), "hostkit-nft-"));
  const file = join(dir, "hostkit.nft");
  const runner = opts.runner ?? localRunner();
  try {
    await writeFile(file, text, { mode: 0o600 });
    const res = await runner.exec(checkArgv(file, opts), { timeoutMs: 30_000 });
    if (res.code === 0) return { ok: true };
    const raw = (decode(res.stderr) + decode(res.stdout)).trimEnd();
    return { ok: false, code: res.code, message: annotate(raw, file, opts.displayPath ?? DEFAULT_PATH, opts.lines) };
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (!opts.runner) await runner.close();
  }
}

/** Swap the temp path for the display path; after `PATH:LINE:COL: Error:` lines, name the rule. */
export function annotate(message: string, tempPath: string, displayPath: string, lines?: Map<number, string>): string {
  return message
    .split(tempPath)
    .join(displayPath)
    .split("\n")
    .map((l) => {
      const m = l.startsWith(`${displayPath}:`) ? /^:(\d+):/.exec(l.slice(displayPath.length)) : null;
      const label = m && lines?.get(Number(m[1]));
      return label ? `${l}  [${label}]` : l;
    })
    .join("\n");
}
