/** Running the repository's TypeScript compiler over a folder, as an editor would check it. */
import { join } from "node:path";
import { REPO } from "./cli.ts";

const TSC = join(REPO, "node_modules/.bin/tsc");

/** `tsc --noEmit -p DIR`: exit code and everything it printed. */
export async function tsc(project: string): Promise<{ code: number; out: string }> {
  const p = Bun.spawn([TSC, "--noEmit", "-p", project], { stdout: "pipe", stderr: "pipe", cwd: project });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out: out + err };
}
