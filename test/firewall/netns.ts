/** Runs nft in a throwaway user+network namespace (reference integrations.md §2.2): no privilege needed, host ruleset untouched. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function probe(): string | undefined {
  const r = Bun.spawnSync(["unshare", "--user", "--map-root-user", "--net", "nft", "list", "ruleset"], { stderr: "pipe" });
  if (r.exitCode === 0) return undefined;
  return `unshare -rn nft unavailable (exit ${r.exitCode}: ${r.stderr.toString().trim()}); install nftables (apt-get install -y nftables) and allow user namespaces`;
}

/** Why the namespace tests cannot run here, or undefined when they can. Printed by the tests that skip. */
export const nsUnavailable = probe();
if (nsUnavailable) console.warn(`SKIP firewall namespace tests: ${nsUnavailable}`);

/** A private temp directory for the test files of this process. */
export const dir = mkdtempSync(join(tmpdir(), "hostkit-fwtest-"));
let n = 0;
/** Write text to a fresh file under a private temp directory. */
export function tempFile(text: string, name = "f.nft"): string {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, text);
  return p;
}

/** One `sh -c` script in ONE fresh namespace, so several nft commands see the same ruleset. Test-only. */
export function inNetns(script: string): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync(["unshare", "--user", "--map-root-user", "--net", "sh", "-ec", script], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
