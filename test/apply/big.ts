/** @internal A project of N distinctive files (content depends on BIG_VERSION and the index) for long applies. */
import { dirname, join } from "node:path";
import { basename } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { infraFile } from "../plan/helpers.ts";

/** The exact bytes of file i in version v: "v:0007:" repeated, padded to `size`. */
export function bigContent(v: string, i: number, size: number): string {
  const unit = `${v}:${String(i).padStart(4, "0")}:`;
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** Writes the infra file; its files live under /big in the target. */
export function bigProject(dir: string, n: number, size: number, name = "big"): string {
  return infraFile(
    dir,
    `const v = process.env.BIG_VERSION ?? "old";
const unit = (i: number) => \`\${v}:\${String(i).padStart(4, "0")}:\`;
export default project(${JSON.stringify(name)}, (p) => {
  for (let i = 0; i < ${n}; i++) p.file(\`/big/f\${i}.dat\`, { content: unit(i).repeat(Math.ceil(${size} / unit(i).length)).slice(0, ${size}) });
});`,
    `${name}.ts`,
  );
}

/** The host lock of an offline tree (beside it). */
export function rootLock(root: string): string {
  return join(dirname(root), `.${basename(root)}.hostkit.lock`);
}

export function lockHolder(root: string): { runId: string; pid: number; host: string } | undefined {
  const f = join(rootLock(root), "holder");
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, "utf8"));
  } catch {
    return undefined; // being written
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `f` returns a truthy value (or fail after `ms`). */
export async function until<T>(f: () => T | undefined | false, ms = 20_000, what = "condition"): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
