/**
 * Shared pieces of the "declarative means declarative" real-host tests (issue 10):
 * declarative-prune.test.ts and declarative-handlers.test.ts. A session is one project on the test
 * host: a temp directory holding its infra file, a known_hosts file and its run records, the compiled
 * CLI run there with every output kept (for canary scans), and the host-side facts the tests read
 * with systemctl — never through HostKit itself.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect } from "bun:test";
import { hostkit, hostLine, onHost, stackLines, tempDir, writeInfra, type CliRun, type Host } from "./harness.ts";

export interface Session {
  dir: string;
  /** Every stdout and stderr of the CLI in this session, labelled. */
  outputs: [string, string][];
  /** Write infra.ts: `body` goes inside `project(name, (p) => { … })`, after the host line. */
  infra(body: string): string;
  /** `hostkit ARGS` in the session directory; asserts the exit code and that no stack trace is printed. */
  cli(label: string, args: string[], opts?: { env?: Record<string, string>; code?: number }): Promise<CliRun>;
}

export function session(h: Host, name: string, prefix: string): Session {
  const dir = tempDir(prefix);
  const outputs: [string, string][] = [];
  return {
    dir,
    outputs,
    infra: (body) =>
      writeInfra(
        dir,
        "infra.ts",
        `import { project, secretEnv } from "hostkit";
export default project(${JSON.stringify(name)}, (p) => {
  void secretEnv;
  ${hostLine("it", h, { knownHostsFile: join(dir, "known_hosts") })}
${body}
});
`,
      ),
    async cli(label, args, opts = {}) {
      const r = await hostkit(args, { cwd: dir, env: opts.env ?? {}, waitForLock: true });
      outputs.push([label, r.stdout + r.stderr]);
      expect({ label, code: r.code, stack: stackLines(r.stderr + r.stdout) }).toEqual({ label, code: opts.code ?? 0, stack: [] });
      return r;
    },
  };
}

/** One `systemctl show -p PROP --value` per unit. */
export async function unitProp(h: Host, unit: string, prop: string): Promise<string> {
  return (await onHost(h, `systemctl show -p ${prop} --value ${unit}`)).trim();
}

/** `systemctl is-active` / `is-enabled` (their exit code is not an error here). */
export async function unitState(h: Host, unit: string): Promise<{ active: string; enabled: string; load: string }> {
  const out = await onHost(h, `echo "$(systemctl is-active ${unit} 2>/dev/null)|$(systemctl is-enabled ${unit} 2>/dev/null)|$(systemctl show -p LoadState --value ${unit})"`);
  const [active = "", enabled = "", load = ""] = out.trim().split("|");
  return { active, enabled, load };
}

/** Does the host path exist (any type)? */
export async function exists(h: Host, path: string): Promise<boolean> {
  return (await onHost(h, `[ -e ${path} ] && echo yes || echo no`)).trim() === "yes";
}

/** Does the host file hold `value`? The value goes through stdin, never an argv. */
export async function hostFileHolds(h: Host, path: string, value: string): Promise<boolean> {
  return (await onHost(h, `grep -qF -f - ${path} && echo yes || echo no`, `${value}\n`)).trim() === "yes";
}

/** Every file under `dir` (recursively). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Labels of the texts (outputs, then local files other than run backups) that contain any of `values`. */
export function leaks(s: Session, values: string[], extra: [string, string][] = []): string[] {
  const texts: [string, string][] = [...s.outputs, ...extra];
  for (const f of filesUnder(s.dir)) if (!f.includes("backups")) texts.push([f, readFileSync(f, "latin1")]);
  return texts.filter(([, t]) => values.some((v) => t.includes(v))).map(([label]) => label);
}

/** Lines of a text report that start with `prefix` (e.g. "- " for deletes). */
export function linesStarting(out: string, prefix: string): string[] {
  return out.split("\n").filter((l) => l.startsWith(prefix));
}
