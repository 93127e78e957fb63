/**
 * Up plans built the way the planner builds them (kind diffs over facts, derived steps, assemble),
 * from hand-written resources and facts: the input of the pure down() tests.
 */
import { createHash } from "node:crypto";
import type { Command, Directory, EnvFile, FileRes, Resource, SystemdService } from "../../src/model/resource.ts";
import type { Plan, TargetInfo } from "../../src/model/plan.ts";
import { assemble, deriveSteps, diffObserved } from "../../src/plan/planner.ts";
import type { Observed } from "../../src/plan/probe.ts";
import { renderUnit } from "../../src/render/systemd.ts";

export const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const src = { file: "infra/config.ts", line: 1 };

export function fileRes(path: string, content: string, o: Partial<FileRes> = {}): FileRes {
  return { type: "file", id: path, path, content, owner: "root", group: "root", mode: 0o644, rollback: "delete", source: src, ...o };
}

export function envRes(path: string, set: Record<string, string>, secret: Record<string, string>, o: Partial<EnvFile> = {}): EnvFile {
  const refs = Object.fromEntries(Object.entries(secret).map(([k, env]) => [k, { $secret: { env } }]));
  return { type: "env_file", id: path, path, set, secret: refs, owner: "root", group: "root", mode: 0o600, rollback: "delete", source: src, ...o };
}

export function unitRes(name: string, exec: string, o: Partial<SystemdService> = {}): SystemdService {
  return {
    type: "systemd_service",
    id: name,
    name,
    sections: { Service: [["ExecStart", exec]], Install: [["WantedBy", "multi-user.target"]] },
    enable: true,
    start: true,
    listeners: [],
    restartOn: [],
    rollback: "delete",
    source: src,
    ...o,
  };
}

export function dirRes(path: string, o: Partial<Directory> = {}): Directory {
  return { type: "directory", id: path, path, owner: "root", group: "root", mode: 0o755, rollback: "keep", source: src, ...o };
}

export function cmdRes(name: string, exec: string[], down: Command["down"], o: Partial<Command> = {}): Command {
  return { type: "command", id: name, name, exec, phase: "before_start", when: "changed", down, env: [], source: src, ...o };
}

/** A file's fact as the probe reads it. */
export function fileFact(content: string | undefined, meta: { owner?: string; group?: string; mode?: number } = {}) {
  if (content === undefined) return { exists: false };
  return { exists: true, fileType: "regular file", owner: meta.owner ?? "root", group: meta.group ?? "root", mode: meta.mode ?? 0o644, size: Buffer.byteLength(content), sha256: sha(content), content };
}

export function envFact(file: { set: Record<string, string>; keys: string[] } | undefined, meta: { owner?: string; group?: string; mode?: number } = {}) {
  if (!file) return { exists: false, set: {}, keys: [] };
  return { exists: true, fileType: "regular file", owner: meta.owner ?? "root", group: meta.group ?? "root", mode: meta.mode ?? 0o600, size: 99, set: file.set, keys: [...file.keys].sort() };
}

export function unitFact(content: string | undefined, enabled = "enabled", active = "active") {
  return content === undefined ? { exists: false, enabled: "not-found", active: "inactive" } : { exists: true, content, sha256: sha(content), enabled, active };
}

export function dirFact(meta?: { owner?: string; group?: string; mode?: number }) {
  return meta ? { exists: true, fileType: "directory", owner: meta.owner ?? "root", group: meta.group ?? "root", mode: meta.mode ?? 0o755, size: 4096 } : { exists: false };
}

export const unitText = (r: SystemdService) => renderUnit(r.sections);

export const LIVE: TargetInfo = { name: "prod", transport: "ssh", host: "10.0.0.5", port: 22, user: "root", sudo: false };
export const ROOT: TargetInfo = { name: "root", transport: "root", root: "/tmp/image" };

/** Plan resources against facts, exactly as planHost does after its probe. */
export function upPlan(pairs: [Resource, unknown][], target: TargetInfo = LIVE): Plan {
  const observed: Observed[] = pairs.map(([resource, fact], i) => ({ resource, fact, basis: `sha256:basis-${i}` }));
  const ctx = target.transport === "root" ? { root: target.root! } : {};
  const changes = diffObserved(observed);
  const derived = deriveSteps(changes, observed, ctx);
  return assemble({ project: "demo", target, now: new Date("2026-06-14T10:11:48Z") }, changes, derived, []);
}
