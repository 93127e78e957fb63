/**
 * @internal Paths on a host, checked and normalised at load time: one spelling per file, so
 * `/etc/a.conf`, `//etc/a.conf` and `/etc/./a.conf` are ONE resource (and converge), and nothing a
 * declaration names can climb out of the target (`..`), be unrepresentable on the host (a lone UTF-16
 * surrogate has no UTF-8 form: it would never converge), or be the root directory itself.
 */
import { HostKitError } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The normalised path, or why it is refused. `/` itself is refused unless `allowRoot`. */
export function normalizeHostPath(path: unknown, opts: { allowRoot?: boolean } = {}): { path: string } | { error: string } {
  if (typeof path !== "string" || !path.startsWith("/")) return { error: `path ${JSON.stringify(path)} must be absolute (start with "/")` };
  if (path.includes("\0")) return { error: "path contains a NUL byte" };
  if (LONE_SURROGATE.test(path)) return { error: `path ${JSON.stringify(path)} is not well-formed Unicode (a lone surrogate has no UTF-8 form on the host)` };
  const parts = path.split("/").filter((c) => c !== "" && c !== ".");
  if (parts.includes("..")) return { error: `path ${JSON.stringify(path)} must not contain '..'` };
  const out = `/${parts.join("/")}`;
  if (out === "/" && !opts.allowRoot) return { error: `path ${JSON.stringify(path)} is the root directory itself, which HostKit never manages` };
  return { path: out };
}

/** `normalizeHostPath`, or throw one diagnostic naming the declaration, key and file:line. */
export function hostPath(path: unknown, subject: string, source: SourceLoc, key?: string): string {
  const r = normalizeHostPath(path);
  if ("error" in r) throw new HostKitError({ subject, ...(key ? { key } : {}), source, message: r.error });
  return r.path;
}
