/** Host-wide facts read once per plan: accounts and groups (from the offline tree's files when --root). */
import { text } from "../targets/runner.ts";
import type { HostFacts, ProbeOutput, TargetCtx } from "../model/kind.ts";

export function factsProbe(ctx: TargetCtx): string[][] {
  return ctx.root ? [["cat", "--", `${ctx.root}/etc/passwd`], ["cat", "--", `${ctx.root}/etc/group`]] : [["getent", "passwd"], ["getent", "group"]];
}

export function parseFacts(out: ProbeOutput[]): HostFacts {
  const facts: HostFacts = { users: new Map(), groups: new Map(), userById: new Map(), groupById: new Map(), extra: new Map() };
  for (const line of (out[0]?.code === 0 ? text(out[0].stdout) : "").split("\n")) {
    const [name, , uid, gid, , home, shell] = line.split(":");
    if (!name || uid === undefined) continue;
    facts.users.set(name, { name, uid: Number(uid), gid: Number(gid), home: home ?? "", shell: shell ?? "" });
    if (!facts.userById.has(Number(uid))) facts.userById.set(Number(uid), name);
  }
  for (const line of (out[1]?.code === 0 ? text(out[1].stdout) : "").split("\n")) {
    const [name, , gid, members] = line.split(":");
    if (!name || gid === undefined) continue;
    facts.groups.set(name, { gid: Number(gid), members: members ? members.split(",").filter(Boolean) : [] });
    if (!facts.groupById.has(Number(gid))) facts.groupById.set(Number(gid), name);
  }
  // Primary-group membership counts too.
  for (const u of facts.users.values()) {
    const g = facts.groupById.get(u.gid);
    if (g && !facts.groups.get(g)!.members.includes(u.name)) facts.groups.get(g)!.members.push(u.name);
  }
  return facts;
}
