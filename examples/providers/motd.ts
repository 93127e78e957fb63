/**
 * A provider of your own, written only with what "hostkit" exports (no change to HostKit itself):
 * the message of the day, assembled from lines declared anywhere in the project.
 *
 *   import { motd } from "./motd.ts";
 *   p.provider(motd({ path: "/etc/motd" }));
 *   s.add(motd.line("web: served by Caddy on :80"));
 *
 * Its declarations are plain values (typed: editors complete `motd.line`'s options); its compile
 * handler turns all of them into ONE resource of a built-in kind (a `file`), so plan, apply, down,
 * render and dump work for it as for any file.
 */
import { declaration, defineProvider, HostKitError, type Declaration, type ResourceBase } from "hostkit";

export interface MotdSettings {
  /** Where the message goes. @example path: "/etc/motd" */
  path?: string;
  /** A first line above the declared ones. @example banner: "managed by HostKit" */
  banner?: string;
}

export interface MotdLineOptions {
  /** Lines are sorted by this (then by declaration order). @example order: 10 */
  order?: number;
}

interface LineData {
  text: string;
  order: number;
}

/**
 * One line of the message of the day.
 * @example s.add(motd.line("web: served by Caddy on :80", { order: 10 }))
 */
function line(text: string, opts: MotdLineOptions = {}): Declaration<LineData> {
  const subject = `motd line ${JSON.stringify(text)}`;
  // A mistake is carried on the declaration: `add` reports it at its file:line, with the others.
  if (typeof text !== "string" || text === "" || /[\u0000-\u001f\u007f]/.test(text)) {
    return declaration("motd", subject, { text: "", order: 0 }, { problem: new HostKitError({ subject, message: "a motd line is one non-empty line of printable text" }) });
  }
  return declaration("motd", subject, { text, order: opts.order ?? 50 });
}

function provider(settings: MotdSettings = {}) {
  const path = settings.path ?? "/etc/motd";
  if (!/^\/[A-Za-z0-9_./-]+$/.test(path) || path.includes("..")) throw new HostKitError({ subject: "motd provider", key: "path", message: `${JSON.stringify(path)} is not a plain absolute path` });
  return defineProvider<{ path: string; banner?: string }, LineData>({
    name: "motd",
    settings: { path, ...(settings.banner ? { banner: settings.banner } : {}) },
    compile(items, s): ResourceBase[] {
      const lines = items.map((it, i) => ({ ...it.decl.data, i })).sort((a, b) => a.order - b.order || a.i - b.i).map((l) => l.text);
      const content = `${[...(s.banner ? [s.banner] : []), ...lines].join("\n")}\n`;
      const file = { type: "file", id: s.path, path: s.path, content, owner: "root", group: "root", mode: 0o644, rollback: "delete", source: items[0]!.source };
      return [file];
    },
  });
}

/** `motd(settings)` makes the provider; `motd.line(text)` declares a line. */
export const motd = Object.assign(provider, { line });
