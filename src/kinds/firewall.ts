/**
 * `firewall`: HostKit's nftables file (`/etc/nftables.d/hostkit.nft`), one per host, rendered from the
 * merged project + host policy (src/firewall/). A plan reads the file, the loaded `table inet
 * hostkit` (its comment carries the file's revision), `/etc/nftables.conf` and nftables.service, and
 * checks the new ruleset with `nft -c` ON THE TARGET before anything is written. It refuses a ruleset
 * that would drop the current SSH port (unless `--allow-lockout`). Apply writes the file atomically,
 * adds the include to /etc/nftables.conf, enables nftables.service, and loads the rules only with
 * `--nft-reload` — over SSH with an automatic revert armed (src/firewall/ops.ts).
 */
import * as v from "valibot";
import { AbsPath, BASE } from "../model/resource.ts";
import { HostKitError } from "../model/errors.ts";
import { defineFact, defineKind, factOf, onTarget, type Inverse, type KindChange, type Op, type ProbeOutput, type TargetCtx } from "../model/kind.ts";
import { text } from "../targets/runner.ts";
import { fileProbe, parseFileFact, removeOp, sha256, type FileFact } from "./file.ts";
import { sameKey } from "./inverse.ts";
import { contentDiff } from "../plan/text-diff.ts";
import { PolicyJsonSchema, policyFromJson } from "../firewall/policy-json.ts";
import { lockoutCheck, NFTABLES_CONF, persistence, revIn, TABLE_FAMILY, TABLE_NAME } from "../firewall/nftables.ts";
import { annotate } from "../firewall/validate.ts";
import { NFT, DEFAULT_REVERT_SECONDS, DEFAULT_STATE_DIR } from "../firewall/revert.ts";
import { checkArgv, checkOp, enableArgv, loadOps, writeRootFile } from "../firewall/ops.ts";

export const FirewallSchema = v.strictObject({
  ...BASE,
  type: v.literal("firewall"),
  path: AbsPath,
  /** The rendered file. */
  content: v.string(),
  /** The merged policy (absent on a down change that restores a previous file). */
  policy: v.optional(PolicyJsonSchema),
  /** Rule labels by line of `content`, to point nft's messages at the declaration. */
  lines: v.optional(v.record(v.string(), v.string())),
});
export type Firewall = v.InferOutput<typeof FirewallSchema>;

/**
 * The SSH connection as the host sees it: `$SSH_CONNECTION` ("client_ip client_port server_ip
 * server_port"). Through `sudo` that variable is usually gone; then the ports sshd listens on
 * (`sshd -T`, as root) say which port a new login uses — the controller's own port may be a proxy's.
 */
export const sshConnection = defineFact<{ peer?: string; port?: number; sshdPorts: number[] }>({
  name: "ssh-connection",
  probe: (ctx) => (ctx.root ? [] : [["printenv", "SSH_CONNECTION"], ["/usr/sbin/sshd", "-T"]]),
  parse(out) {
    const f = out[0]?.code === 0 ? text(out[0].stdout).trim().split(/\s+/) : [];
    const port = Number(f[3]);
    const sshdPorts = out[1]?.code === 0 ? [...text(out[1].stdout).matchAll(/^port (\d+)$/gm)].map((m) => Number(m[1])) : [];
    return f.length === 4 && Number.isInteger(port) && port > 0 && port < 65536 ? { peer: f[0]!, port, sshdPorts } : { sshdPorts };
  },
});

export interface FirewallFact {
  file: FileFact;
  /** The loaded table: its revision and nft's listing; `unknown` when nft could not be asked. */
  table: { state: "present" | "absent" | "unknown" | "offline"; rev?: string; error?: string };
  conf: string | null;
  /** `systemctl is-enabled nftables.service`. */
  enabled: string;
  /** `nft -c` of the new file on the target. */
  check: { ok: true } | { ok: false; message: string } | { skipped: string };
  ssh?: { port: number; peer?: string; seen: string };
  flags: { nftReload: boolean; allowLockout: boolean; offline: boolean };
}

const out0 = (o: ProbeOutput | undefined) => (o ? text(o.stdout) : "");
const err0 = (o: ProbeOutput | undefined) => (o ? text(o.stderr).trim() : "");
/** nft could not check for want of privilege or of nft itself: not a verdict on the ruleset. */
const CANNOT = /Operation not permitted|Permission denied|not found|No such file or directory: .*nft|unshare:/;

function parseFact(r: Firewall, out: ProbeOutput[], facts: Parameters<typeof parseFileFact>[1], ctx: TargetCtx): FirewallFact {
  const [s, sum, head, table, conf, enabled, check] = out;
  const file = parseFileFact([s!, sum!, head!], facts, ctx);
  let t: FirewallFact["table"] = { state: "offline" };
  if (!ctx.root) {
    if (table?.code === 0) t = { state: "present", ...(revIn(out0(table)) ? { rev: revIn(out0(table))! } : {}) };
    else if (/No such file or directory/.test(err0(table))) t = { state: "absent" };
    else t = { state: "unknown", error: err0(table) || `exit ${table?.code}` };
  }
  let c: FirewallFact["check"];
  if (check?.code === 0) c = { ok: true };
  else {
    const msg = (err0(check) + out0(check)).trim();
    c = check === undefined || check.code === 127 || CANNOT.test(msg) ? { skipped: msg || "nft could not run" } : { ok: false, message: annotate(msg, "/dev/stdin", r.path, new Map(Object.entries(r.lines ?? {}).map(([k, l]) => [Number(k), l]))) };
  }
  const live = factOf(facts, sshConnection);
  const ports = live?.sshdPorts ?? [];
  const ssh =
    live?.port !== undefined ? { port: live.port, peer: live.peer, seen: "$SSH_CONNECTION on the host" }
    : !ctx.ssh ? undefined
    : ports.length === 1 ? { port: ports[0]!, seen: "the port sshd listens on" }
    : { port: ctx.ssh.port, seen: "the port HostKit connects to" };
  return {
    file,
    table: t,
    conf: conf?.code === 0 ? out0(conf) : null,
    enabled: out0(enabled).trim() || err0(enabled) || "unknown",
    check: c,
    ...(ssh ? { ssh } : {}),
    flags: { nftReload: !!ctx.flags?.nftReload, allowLockout: !!ctx.flags?.allowLockout, offline: !!ctx.root },
  };
}

function refuse(r: Firewall, message: string, hint?: string): never {
  throw new HostKitError({ subject: `firewall ${r.path}`, source: r.source, message, ...(hint ? { hint } : {}) });
}

/** Would the new rules drop the next SSH login? Refused unless --allow-lockout; otherwise a note. */
function lockout(r: Firewall, f: FirewallFact): string | undefined {
  if (!r.policy || !f.ssh) return undefined;
  let res;
  try {
    res = lockoutCheck(policyFromJson(r.policy), f.ssh.port, f.ssh.peer);
  } catch {
    res = lockoutCheck(policyFromJson(r.policy), f.ssh.port);
  }
  if (res.verdict === "drop" && !f.flags.allowLockout) {
    refuse(r, `this ruleset would drop new SSH connections to port ${f.ssh.port} (${f.ssh.seen}): ${res.reason}; refused`, "allow the SSH port (f.allow({ tcp: 22, from: \"any\" })), or pass --allow-lockout (a reload is still armed with an automatic revert)");
  }
  return res.verdict === "drop" ? `SSH port ${f.ssh.port} will be dropped (--allow-lockout): ${res.reason}` : res.verdict === "unknown" ? `cannot tell whether SSH port ${f.ssh.port} stays open: ${res.reason}` : undefined;
}

export const firewall = defineKind<Firewall, FirewallFact>({
  type: "firewall",
  schema: FirewallSchema,
  facts: [sshConnection],
  probe: (r, ctx) => [
    ...fileProbe(onTarget(ctx, r.path)),
    ctx.root ? ["true"] : [NFT, "list", "table", TABLE_FAMILY, TABLE_NAME],
    ["cat", "--", onTarget(ctx, NFTABLES_CONF)],
    ["systemctl", ...(ctx.root ? [`--root=${ctx.root}`] : []), "is-enabled", "nftables.service"],
    checkArgv(r.content, ctx),
  ],
  parse: (r, out, facts, ctx) => parseFact(r, out, facts, ctx),
  // The check's outcome and the SSH peer are not state a saved plan goes stale on.
  basis: (f) => ({ file: { ...f.file, content: undefined, contentBase64: undefined }, table: f.table, conf: f.conf, enabled: f.enabled }),
  diff(r, f) {
    if ("ok" in f.check && !f.check.ok) refuse(r, `nft -c rejected the ruleset; nothing was written:\n${f.check.message}`);
    const note = lockout(r, f);
    const want = sha256(r.content);
    const rev = revIn(r.content);
    const persist = persistence(f.conf, r.path);
    const fileOk = f.file.exists && f.file.fileType === "regular file" && f.file.sha256 === want && f.file.mode === 0o644 && f.file.owner === "root";
    const enable = f.enabled === "disabled";
    const loaded = f.table.state === "present" && f.table.rev === rev;
    const reload = f.flags.nftReload && !f.flags.offline && !loaded;
    const why: string[] = [];
    if (!f.file.exists) why.push("file does not exist");
    else if (!fileOk) why.push(f.file.sha256 !== want ? "rules differ" : "owner or mode differs");
    if (persist.changed) why.push(`${NFTABLES_CONF} gets the include`);
    if (enable) why.push("nftables.service gets enabled (loads the rules at boot)");
    if (reload) why.push(`load the rules (--nft-reload${f.ssh ? `; automatic revert in ${DEFAULT_REVERT_SECONDS}s unless a new SSH connection works` : ""})`);
    else if (!loaded && !f.flags.offline) why.push("the loaded rules are not this file's: they are loaded only with --nft-reload");
    if ("skipped" in f.check) why.push(`could not validate with nft -c on the target (${f.check.skipped.split("\n")[0]})`);
    if (note) why.push(note);
    const before = { exists: f.file.exists, sha256: f.file.sha256, ...(f.file.content !== undefined ? { content: f.file.content } : {}), table: f.table, enabled: f.enabled };
    const after = { exists: true, sha256: want, rev, reload, write: !fileOk, ...(persist.changed ? { conf: persist.content, include: persist.includeLine } : {}), enable, ...(persist.notes.length ? { notes: persist.notes } : {}) };
    const action = !fileOk || persist.changed || enable || reload ? (f.file.exists ? "update" : "create") : "noop";
    return { action, reason: why.join("; ") || "firewall matches", before, after };
  },
  ops: (change, ctx) => firewallOps(change, ctx),
  writes: (r) => ({ path: r.path, owner: "root", trust: false }),
  down: {
    invert: invertFirewall,
    settled: (c) => (c.action === "delete" ? { exists: false } : c.action === "create" || c.action === "update" ? { exists: true, sha256: c.after?.sha256 } : undefined),
    observed: (f) => (f.file.exists ? { exists: true, sha256: f.file.sha256 } : { exists: false }),
  },
  formatDiff(c, paint) {
    const r = c.resource;
    const a = c.after ?? {};
    const lines = c.action === "delete" ? [] : contentDiff(c.before, r?.content, a.sha256, paint);
    if (typeof a.include === "string") lines.push(paint(32, `+ ${NFTABLES_CONF}: ${a.include}`));
    if (a.enable) lines.push(paint(32, "+ systemctl enable nftables.service"));
    for (const n of (a.notes as string[] | undefined) ?? []) lines.push(`note: ${n}`);
    if (a.reload) lines.push(paint(33, c.action === "delete" ? `~ nft: remove table ${TABLE_FAMILY} ${TABLE_NAME}` : `~ nft -f ${c.id}`));
    return lines;
  },
  render: (r) => r.content,
  describe: (r) => `${r.policy ? `${r.policy.rules.length} rule(s), default ${r.policy.default ?? "accept"}` : "restored file"}`,
});

/** The ops of an up or down change (see src/firewall/ops.ts for the load). */
function firewallOps(change: KindChange<Firewall>, ctx: TargetCtx): Op[] {
  const r = change.resource!;
  const a = change.after ?? {};
  const id = String(a.rev ?? "none").replace(/[^A-Za-z0-9_-]/g, "") || "none";
  const reload = !!a.reload || !!ctx.flags?.nftReload;
  if (change.action === "delete") {
    const ops: Op[] = [{ ...removeOpFor(r, ctx) }];
    if (!reload) return ops;
    // No HostKit file before the up plan: its table goes too (staged, then loaded like any file).
    const staged = `${DEFAULT_STATE_DIR}/remove-${id}.nft`;
    const removal = `table ${TABLE_FAMILY} ${TABLE_NAME}\ndelete table ${TABLE_FAMILY} ${TABLE_NAME}\n`;
    return [...ops, writeRootFile(`stage the removal of table ${TABLE_FAMILY} ${TABLE_NAME} in ${staged}`, staged, removal, 0o600, ctx), ...loadOps({ id: `down-${id}`, file: staged }, ctx)];
  }
  const ops: Op[] = [];
  const check = checkOp(`check ${r.path} with nft -c (before anything is written)`, r.content, ctx);
  // Offline, the check runs on the controller in a namespace; a controller without one cannot check.
  ops.push(ctx.root && !Bun.which("unshare") ? { ...check, skip: "no unshare on the controller" } : check);
  if (a.write !== false) ops.push(writeRootFile(`write ${r.path}`, r.path, r.content, 0o644, ctx));
  if (typeof a.conf === "string") ops.push(writeRootFile(`add the include to ${NFTABLES_CONF}`, NFTABLES_CONF, a.conf, 0o755, ctx));
  if (a.enable) ops.push({ label: "enable nftables.service (loads /etc/nftables.conf at boot)", argv: enableArgv(ctx) });
  if (reload) ops.push(...loadOps({ id, file: r.path }, ctx));
  return ops;
}

function removeOpFor(r: Firewall, ctx: TargetCtx): Op {
  return removeOp(`remove ${r.path}`, r.path, "file", { owner: "root" }, ctx.root);
}

/** Down: the previous file back (and, when the up change loaded rules, the previous rules loaded). */
function invertFirewall(c: KindChange<Firewall>): Inverse {
  const r = c.resource!;
  const b = c.before ?? {};
  const a = c.after ?? {};
  if (c.action === "create" || !b.exists) {
    const table = b.table as FirewallFact["table"] | undefined;
    // The include in /etc/nftables.conf stays: it is a glob, harmless without the file.
    const warning = a.reload && table?.state === "present" ? `${c.key}: a table inet hostkit was loaded before the up plan without HostKit's file; the down plan removes HostKit's table` : undefined;
    return { change: { ...sameKey(c), action: "delete", reason: "created by the up plan", before: { exists: true, sha256: a.sha256 }, after: { exists: false, reload: !!a.reload }, resource: r }, ...(warning ? { warning } : {}) };
  }
  if (typeof b.content !== "string") return { warning: `${c.key}: its previous content was not kept in the plan; not restored` };
  const resource: Firewall = { ...r, content: b.content };
  delete resource.policy;
  delete resource.lines;
  const after = { exists: true, sha256: b.sha256, rev: revIn(b.content), reload: !!a.reload };
  return { change: { ...sameKey(c), action: "update", reason: `restore the previous file${a.reload ? " and load it" : ""}`, before: { exists: true, sha256: a.sha256, content: r.content }, after, resource } };
}
