/**
 * Caddy's commands as argv data, and the activation sequence that never leaves a rejected site
 * active: write the new files → validate the whole config → reload; when validation fails put the
 * previous files back (Caddy was never told), when the reload fails put them back and reload again.
 * Facts (integrations.md §1): `systemctl reload caddy` runs `caddy reload --config
 * /etc/caddy/Caddyfile --force`, which is transactional — a config that fails to load leaves the old
 * one running; `caddy validate` needs `--adapter caddyfile` for a file not named `Caddyfile*`; errors
 * are one `Error: …` line on stderr, logs are JSON lines.
 *
 * `runActivation` interprets the steps through three functions the caller supplies (the applier's
 * safe write, remove, and its runner), so the same sequence runs over SSH or against a local Caddy.
 */

export interface CaddyCommandOptions {
  /** The caddy program. Default `caddy`. */
  caddy?: string;
  /**
   * Run validation as this user (via `runuser -u USER --`). Default `caddy`: the service's user, so
   * files it cannot read fail here as they would at reload, and `tls internal` provisions its local CA
   * in the service's own storage (`/var/lib/caddy`) instead of root's home. `null`: as the caller.
   */
  user?: string | null;
}

/** `caddy validate --adapter caddyfile --config FILE` (Caddy loads and provisions, does not run). */
export function validateArgv(configFile: string, opts: CaddyCommandOptions = {}): string[] {
  const user = opts.user === undefined ? "caddy" : opts.user;
  return [...(user ? ["runuser", "-u", user, "--"] : []), opts.caddy ?? "caddy", "validate", "--adapter", "caddyfile", "--config", configFile];
}

/** Reload, not restart: the unit's ExecReload posts the new config to the admin API. */
export function reloadArgv(unit = "caddy"): string[] {
  return ["systemctl", "reload", unit];
}

/** Where a failed `systemctl reload` leaves Caddy's own error line: the unit's journal. */
export function reloadDiagnosticsArgv(unit = "caddy", lines = 50): string[] {
  return ["journalctl", "--unit", unit, "--lines", String(lines), "--no-pager", "--output", "cat"];
}

/** `caddy reload` straight to an admin API (a Caddy run outside systemd, e.g. in tests). */
export function caddyReloadArgv(configFile: string, opts: { caddy?: string; address?: string; force?: boolean } = {}): string[] {
  return [opts.caddy ?? "caddy", "reload", "--adapter", "caddyfile", "--config", configFile, ...(opts.address ? ["--address", opts.address] : []), ...(opts.force ? ["--force"] : [])];
}

/**
 * Caddy's own error line from its output: the last `Error: …` line (the CLI's fatal message), else
 * the `error` (or `msg`) of the last JSON log line at level error/fatal. `rename` maps a temp path in
 * the message to the path the user knows. Undefined when the output holds no error.
 */
export function parseCaddyError(output: string, rename: Record<string, string> = {}): string | undefined {
  const rows = output.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  let found: string | undefined;
  for (let i = rows.length - 1; i >= 0 && !found; i--) {
    const m = /(?:^|\s)(Error: .*)$/.exec(rows[i]!);
    if (m && !rows[i]!.startsWith("{")) found = m[1]!;
  }
  for (let i = rows.length - 1; i >= 0 && !found; i--) {
    if (!rows[i]!.startsWith("{")) continue;
    try {
      const j = JSON.parse(rows[i]!) as { level?: string; error?: unknown; msg?: unknown };
      if (j.level === "error" || j.level === "fatal") found = `Error: ${String(j.msg ?? "")}${j.error ? `: ${String(j.error)}` : ""}`;
    } catch {
      // not a log line
    }
  }
  if (found === undefined) return undefined;
  for (const [from, to] of Object.entries(rename)) found = found.split(from).join(to);
  return found;
}

/** A file the activation writes: its new content (null: remove it) and what was there (null: nothing). */
export interface FileChange {
  path: string;
  content: string | null;
  previous: string | null;
  /** Default 0644: the caddy user must read it. */
  mode?: number;
}

export type Step =
  | { do: "write"; path: string; content: string; mode: number }
  | { do: "remove"; path: string }
  | { do: "validate"; argv: string[] }
  | { do: "reload"; argv: string[]; diagnose?: string[] };

export interface Activation {
  /** In order; stop at the first failing step. */
  apply: Step[];
  /** After `validate` failed: the previous files back. Caddy was never reloaded, so nothing else. */
  restoreAfterValidate: Step[];
  /** After `reload` failed: the previous files back, then reload so Caddy and the files agree. */
  restoreAfterReload: Step[];
}

export interface ActivationOptions extends CaddyCommandOptions {
  /** The config Caddy loads (validated whole). Default `/etc/caddy/Caddyfile`. */
  mainPath?: string;
  /** The systemd unit. Default `caddy`. */
  unit?: string;
  /** Replace the reload step (e.g. `caddyReloadArgv` for a Caddy outside systemd); no journal then. */
  reload?: string[];
}

/** The sequence as data. Changes whose content equals the previous one are left out. */
export function activation(changes: FileChange[], opts: ActivationOptions = {}): Activation {
  const real = changes.filter((c) => c.content !== c.previous);
  const put = (path: string, content: string | null, mode: number): Step => (content === null ? { do: "remove", path } : { do: "write", path, content, mode });
  const restore = real.map((c) => put(c.path, c.previous, c.mode ?? 0o644)).reverse();
  const reload: Step = opts.reload ? { do: "reload", argv: opts.reload } : { do: "reload", argv: reloadArgv(opts.unit), diagnose: reloadDiagnosticsArgv(opts.unit) };
  if (real.length === 0) return { apply: [], restoreAfterValidate: [], restoreAfterReload: [] };
  return {
    apply: [...real.map((c) => put(c.path, c.content, c.mode ?? 0o644)), { do: "validate", argv: validateArgv(opts.mainPath ?? "/etc/caddy/Caddyfile", opts) }, reload],
    restoreAfterValidate: restore,
    restoreAfterReload: [...restore, reload],
  };
}

export interface ActivationIO {
  write(path: string, content: string, mode: number): Promise<void>;
  remove(path: string): Promise<void>;
  exec(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

export type ActivationResult =
  | { ok: true; steps: number }
  | {
      ok: false;
      stage: "write" | "validate" | "reload";
      /** Caddy's own line when there is one, else the command's output. */
      error: string;
      /** The previous files are back (and, after a failed reload, reloaded). */
      restored: boolean;
      restoreError?: string;
    };

/** Run an activation; on failure run the matching restore steps and report Caddy's line. */
export async function runActivation(a: Activation, io: ActivationIO, rename: Record<string, string> = {}): Promise<ActivationResult> {
  let done = 0;
  for (const step of a.apply) {
    try {
      if (step.do === "write") await io.write(step.path, step.content, step.mode);
      else if (step.do === "remove") await io.remove(step.path);
      else {
        const r = await io.exec(step.argv);
        if (r.code !== 0) {
          let text = `${r.stderr}\n${r.stdout}`;
          if (step.do === "reload" && step.diagnose) text += `\n${(await io.exec(step.diagnose).catch(() => ({ stdout: "" }))).stdout}`;
          const error = parseCaddyError(text, rename) ?? (`${step.argv.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
          return { ok: false, stage: step.do, error, ...(await restore(step.do === "validate" ? a.restoreAfterValidate : a.restoreAfterReload, io)) };
        }
      }
    } catch (e) {
      // a write failed part-way: put back what this activation already touched
      const touched = a.apply.slice(0, done + 1).filter((s) => s.do === "write" || s.do === "remove").map((s) => (s as { path: string }).path);
      const back = a.restoreAfterValidate.filter((s) => touched.includes((s as { path: string }).path));
      return { ok: false, stage: "write", error: (e as Error).message, ...(await restore(back, io)) };
    }
    done++;
  }
  return { ok: true, steps: done };
}

async function restore(steps: Step[], io: ActivationIO): Promise<{ restored: boolean; restoreError?: string }> {
  for (const s of steps) {
    try {
      if (s.do === "write") await io.write(s.path, s.content, s.mode);
      else if (s.do === "remove") await io.remove(s.path);
      else {
        const r = await io.exec(s.argv);
        if (r.code !== 0) return { restored: false, restoreError: parseCaddyError(`${r.stderr}\n${r.stdout}`) ?? `${s.argv.join(" ")} exited ${r.code}` };
      }
    } catch (e) {
      return { restored: false, restoreError: (e as Error).message };
    }
  }
  return { restored: true };
}
