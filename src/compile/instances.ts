/**
 * Instance declarations → `instance` resources, with the load-time checks that need the whole
 * project: backend known, names, ports 1–65535, one host port per controller (validateSpecs), a
 * top-level host that names an instance (its host belongs inside it: `i.host`), and the nested
 * host's public key (`<identityFile>.pub`, read now so the plan carries it; it is not a secret).
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { ProjectDecl } from "../dsl/decl.ts";
import type { Diagnostic } from "../model/errors.ts";
import type { Resource } from "../model/resource.ts";
import { normalizeSpec, type InstanceSpec } from "../instances/backend.ts";
import { validateSpecs, suggestName } from "../instances/validate.ts";
import { publicKeyLine } from "../instances/seed.ts";
import { BACKENDS } from "../instances/commands.ts";
import type { Instance } from "../kinds/instance.ts";
import { isSecretRef } from "../model/secret.ts";

const DEFAULT_WAIT_SECONDS = 60;

function expandHome(path: string): string {
  return path === "~" ? homedir() : path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

export function compileInstances(project: ProjectDecl): { resources: Resource[]; problems: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const resources: Resource[] = [];
  const decls = project.instances ?? [];
  const specs: { spec: InstanceSpec; source: Diagnostic["source"] }[] = [];
  for (const d of decls) {
    const subject = `instance "${d.name}"`;
    const o = d.opts;
    const b = o.backend as unknown;
    const type = b && typeof b === "object" && typeof (b as { type?: unknown }).type === "string" ? (b as { type: string }).type : undefined;
    if (!type || !BACKENDS[type]) {
      problems.push({ subject, key: "backend", source: d.source, message: type ? `unknown backend "${type}"` : `must be a backend declaration such as incus({ … }), got ${JSON.stringify(b)}`, hint: `known backends: ${Object.keys(BACKENDS).join(", ")}` });
      continue;
    }
    const spec = normalizeSpec({ ...o, name: o.name ?? suggestName(d.name), expose: o.expose as never } as never);
    specs.push({ spec, source: d.source });
    const host = d.host ? project.hosts.find((h) => h.name === d.host) : undefined;
    let seed: Instance["seed"];
    if (host?.ssh.identityFile) {
      const pub = `${resolve(expandHome(host.ssh.identityFile))}.pub`;
      try {
        seed = { user: host.ssh.user ?? "root", publicKey: publicKeyLine(readFileSync(pub, "utf8")) };
      } catch (e) {
        problems.push({ subject: `${subject} › host "${host.name}"`, key: "ssh.identityFile", source: host.source, message: `cannot use ${pub} as the key to seed into the guest: ${(e as Error).message}` });
        continue;
      }
    }
    // A declared password is set in the guest too (chpasswd through the backend): only from a secret
    // reference, so that plans and run records carry its name, never its value.
    let seedPassword: Instance["seedPassword"];
    const pw = host?.ssh.password;
    if (pw !== undefined) {
      if (!isSecretRef(pw)) {
        problems.push({ subject: `${subject} › host "${host!.name}"`, key: "ssh.password", source: host!.source, message: "is a literal: a password HostKit sets inside an instance must be a secret reference (a literal would be stored in plans and run records)", hint: 'password: secretEnv("GUEST_PASSWORD")' });
        continue;
      }
      const user = host!.ssh.user ?? "root";
      // the user goes on chpasswd's input line (`user:password`): a ':' or line break would change what it sets
      if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(user)) {
        problems.push({ subject: `${subject} › host "${host!.name}"`, key: "ssh.user", source: host!.source, message: `${JSON.stringify(user)} is not a user name whose password HostKit can set (letters, digits, '_', '-')` });
        continue;
      }
      seedPassword = { user, secret: pw };
    }
    const ref = b as Instance["backend"];
    resources.push({
      type: "instance",
      id: d.name,
      source: d.source,
      // the controller target of this instance is named after it: the resource is planned there only
      host: d.name,
      name: spec.name,
      backend: { type, ...(ref.sudo ? { sudo: true } : {}), ...(ref.project ? { project: ref.project } : {}), ...(ref.profiles ? { profiles: [...ref.profiles] } : {}), ...(ref.bin ? { bin: ref.bin } : {}) },
      image: spec.image,
      kind: spec.kind,
      lifecycle: spec.lifecycle,
      state: spec.state,
      expose: spec.expose,
      config: spec.config,
      rollback: o.rollback ?? "delete_if_created",
      ...(seed ? { seed } : {}),
      ...(seedPassword ? { seedPassword } : {}),
      ...(host
        ? {
            ssh: {
              host: host.at,
              port: host.ssh.port ?? 22,
              timeoutSeconds: o.waitSeconds ?? DEFAULT_WAIT_SECONDS,
              ...(host.ssh.acceptHosts && host.ssh.knownHostsFile ? { forgetIn: resolve(expandHome(host.ssh.knownHostsFile)) } : {}),
            },
            nestedHost: host.name,
          }
        : {}),
    } as Instance);
  }
  for (const p of validateSpecs(specs.map((s) => s.spec))) {
    const at = specs.find((s) => p.subject === `instance "${s.spec.name}"`)?.source;
    const decl = decls.find((d) => p.subject === `instance "${d.opts.name ?? suggestName(d.name)}"`);
    problems.push({ ...p, ...(decl && decl.name !== (decl.opts.name ?? suggestName(decl.name)) ? { subject: `instance "${decl.name}" (backend name "${decl.opts.name ?? suggestName(decl.name)}")` } : {}), ...(at ? { source: at } : {}) });
  }
  // A host declared outside an instance cannot stand for it: its contents would be planned without the instance.
  const names = new Map<string, string>();
  for (const d of decls) for (const n of [d.name, d.opts.name ?? suggestName(d.name)]) names.set(n, d.name);
  // An instance is planned on this machine as a target named after its declaration: a nested host of
  // that name would be the same target — its contents planned (and applied) on this machine, the
  // instance read inside the guest.
  const declared = new Set(decls.map((d) => d.name));
  for (const h of project.hosts) {
    if (h.instance && declared.has(h.name)) {
      problems.push({ subject: `instance "${h.instance}" › host "${h.name}"`, source: h.source, message: `has the name of instance "${h.name}", which is planned on this machine under that name: the two would be one target`, hint: `name the nested host differently, e.g. i.host("${h.name}_guest", …)` });
    }
  }
  for (const h of project.hosts) {
    if (h.instance) continue;
    const hit = names.get(h.name) ?? names.get(h.at);
    if (hit) {
      problems.push({ subject: `host "${h.name}"`, source: h.source, message: `refers to instance "${hit}" but is declared outside it`, hint: `declare the instance's host inside it: p.instance("${hit}", { … }, (i) => { i.host("${h.name}", { at: "127.0.0.1", ssh: { port: … } }) })` });
    }
  }
  return { resources, problems };
}
