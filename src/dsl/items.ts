/** @internal Declarations valid both at project level and inside a service. */
import { dirname, isAbsolute, resolve } from "node:path";
import { readFileSync } from "node:fs";
import { HostKitError } from "../model/errors.ts";
import type { SourceLoc } from "../model/source.ts";
import type { ItemDecl, ProjectDecl, ServiceDecl } from "./decl.ts";
import { callerLocation } from "./location.ts";
import * as O from "./options.ts";
import { parseOptions } from "./validate.ts";
import { checkUnitName } from "./names.ts";
import { asContent, sourceRef } from "../model/content.ts";
import { SymlinkOptionsSchema, type SymlinkOptions } from "../kinds/symlink.ts";
import { hostPath } from "./paths.ts";
import { isDeclaration, type Declaration } from "../model/provider.ts";
import { packageItem } from "./bootstrap.ts";

export interface ItemMethods {
  /** A directory. @example p.directory("/srv/app", { mode: 0o750, owner: "app" }) */
  directory(path: string, opts?: O.DirectoryOptions): void;
  /** A file with literal or local-file content. @example p.file("/etc/gatehouse/config.exs", { content: "import Config\n", mode: 0o640 }) */
  file(path: string, opts: O.FileOptions): void;
  /** An env file at an explicit path. @example p.envFile("/etc/app/app.env", { set: { PORT: 4000 } }) */
  envFile(path: string, opts?: O.EnvOptions): string;
  /** A command run around service starts, with its semantic down. @example s.command("migrate", { exec: ["bin/app", "eval", "App.Release.migrate()"], down: ["bin/app", "eval", "App.Release.rollback()"] }) */
  command(name: string, opts: O.CommandOptions): void;
  /** A timer and the oneshot service it starts. @example s.timer("backup", { onCalendar: "daily", exec: ["/usr/local/bin/backup"] }) */
  timer(name: string, opts: O.TimerOptions): void;
  /** A symbolic link. @example p.symlink("/etc/app/current", { target: "/opt/app/releases/42" }) */
  symlink(path: string, opts: SymlinkOptions): void;
  /** An OS package. @example s.package("caddy", { rollback: "keep" }) */
  package(name: string, opts?: O.PackageOptions): void;
  /**
   * A provider's declaration (its provider registered with `p.provider(…)`).
   * @example s.add(caddy.site("example.com", { reverseProxy: "http" }))
   */
  add(decl: Declaration): void;
}

function checkPath(path: unknown, subject: string, source: SourceLoc): string {
  return hostPath(path, subject, source);
}

export function itemMethods(label: string, add: (i: ItemDecl) => void, project: ProjectDecl, svc?: ServiceDecl): ItemMethods {
  // Read when the timer is declared: p.prefixes() may come after the project scope was built.
  const unitPrefix = () => (svc ? `${project.prefixes.unit}${svc.name}-` : project.prefixes.unit);
  return {
    symlink(path, opts) {
      const source = callerLocation();
      const subject = `${label} › symlink ${JSON.stringify(path)}`;
      add({ kind: "resource", type: "symlink", source, id: checkPath(path, subject, source), opts: parseOptions(SymlinkOptionsSchema, opts, subject, source) });
    },
    directory(path, opts) {
      const source = callerLocation();
      const subject = `${label} › directory ${JSON.stringify(path)}`;
      add({ kind: "directory", source, path: checkPath(path, subject, source), opts: parseOptions(O.DirectorySchema, opts, subject, source) });
    },
    file(path, opts) {
      const source = callerLocation();
      const subject = `${label} › file ${JSON.stringify(path)}`;
      const p = checkPath(path, subject, source);
      const parsed = parseOptions(O.FileSchema, opts, subject, source);
      if ((parsed.content === undefined) === (parsed.source === undefined)) {
        throw new HostKitError({ subject, source, message: "give exactly one of `content` or `source`" });
      }
      let bytes: Uint8Array | string | undefined = parsed.content;
      if (parsed.source !== undefined) {
        const from = isAbsolute(parsed.source) ? parsed.source : resolve(dirname(resolve(source.file)), parsed.source);
        try {
          // A large source is not carried in the resource (nor in plans and run records): a reference,
          // streamed from here at apply time and verified against this sha256.
          const ref = sourceRef(from);
          if (ref) return add({ kind: "file", source, path: p, contentSource: ref, opts: parsed });
          bytes = readFileSync(from);
        } catch (e) {
          throw new HostKitError({ subject, key: "source", source, message: `cannot read ${from}: ${(e as Error).message}` });
        }
      }
      const content = typeof bytes === "string" ? { content: bytes } : asContent(bytes!);
      add({ kind: "file", source, path: p, ...content, opts: parsed });
    },
    envFile(path, opts) {
      const source = callerLocation();
      const subject = `${label} › envFile ${JSON.stringify(path)}`;
      const p = checkPath(path, subject, source);
      add({ kind: "env", source, path: p, opts: parseOptions(O.EnvSchema, opts, subject, source) });
      return p;
    },
    command(name, opts) {
      const source = callerLocation();
      const subject = `${label} › command "${name}"`;
      if (typeof name !== "string" || !/^[a-z_][a-z0-9_.-]*$/.test(name)) {
        throw new HostKitError({ subject, source, message: "a command name contains only a-z, 0-9, '_', '.', '-'" });
      }
      add({ kind: "command", source, name, opts: parseOptions(O.CommandSchema, opts, subject, source) });
    },
    timer(name, opts) {
      const source = callerLocation();
      const subject = `${label} › timer "${name}"`;
      const parsed = parseOptions(O.TimerSchema, opts, subject, source) as O.TimerOptions;
      if (!parsed.onCalendar && !parsed.onBootSec && !parsed.onUnitActiveSec) {
        throw new HostKitError({ subject, source, message: "needs a schedule: onCalendar, onBootSec or onUnitActiveSec" });
      }
      const unit = `${unitPrefix()}${name}.timer`;
      checkUnitName(unit, ".timer", subject, source);
      add({ kind: "timer", source, name, unit, opts: parsed });
    },
    package(name, opts) {
      add(packageItem(label, name, opts, callerLocation()));
    },
    add(decl) {
      const source = callerLocation();
      if (!isDeclaration(decl)) throw new HostKitError({ subject: `${label} › add`, source, message: "expects a provider's declaration, like caddy.site(\"example.com\", { … })" });
      if (decl.problem) throw decl.problem;
      add({ kind: "provided", source, decl });
    },
  };
}

