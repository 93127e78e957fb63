/** `account`: a user (and its group) in passwd, read from the host's account facts. */
import * as v from "valibot";
import { AbsPath, BASE, RollbackSchema } from "../model/resource.ts";
import { deleteCreated, sameKey } from "./inverse.ts";
import { ADD_ACCOUNT_OFFLINE } from "./scripts.ts";
import { defineKind, type Account as HostAccount, type HostFacts, type InvertCtx, type Inverse , type KindChange } from "../model/kind.ts";

export const AccountSchema = v.strictObject({
  ...BASE,
  type: v.literal("account"),
  name: v.string(),
  system: v.boolean(),
  home: v.optional(AbsPath),
  shell: v.optional(v.string()),
  group: v.optional(v.string()),
  groups: v.array(v.string()),
  rollback: RollbackSchema,
});
export type Account = v.InferOutput<typeof AccountSchema>;
type AccountRes = Account;

export interface AccountFact {
  account?: HostAccount;
  groups: string[];
  /** A group named like the account already exists (useradd --user-group would fail on it). */
  groupExists: boolean;
}

function groupsOf(name: string, facts: HostFacts): string[] {
  return [...facts.groups.entries()].filter(([, g]) => g.members.includes(name)).map(([n]) => n).sort();
}

export const account = defineKind<AccountRes, AccountFact>({
  type: "account",
  schema: AccountSchema,
  probe: () => [],
  parse: (r, _out, facts) => {
    const a = facts.users.get(r.name);
    const groupExists = facts.groups.has(r.group ?? r.name);
    return a ? { account: a, groups: groupsOf(r.name, facts), groupExists } : { groups: [], groupExists };
  },
  // useradd --gid and --groups fail on a group that does not exist; its own group it makes itself. In
  // an offline tree (an image being built) the account script creates missing groups as system groups.
  needs: (r, ctx) => ({ groups: ctx.root ? [] : [...(r.group ? [r.group] : []), ...r.groups] }),
  provides: (r, ctx) => ({ users: [r.name], groups: ctx.root ? [r.group ?? r.name, ...r.groups] : r.group ? [] : [r.name] }),
  diff(r, fact) {
    const after = { name: r.name, system: r.system, home: r.home, shell: r.shell, group: r.group ?? r.name, groups: [...r.groups].sort() };
    if (!fact.account) return { action: "create", reason: "account does not exist", before: { exists: false, groupExists: fact.groupExists }, after };
    const before = { name: r.name, uid: fact.account.uid, home: fact.account.home, shell: fact.account.shell, groups: fact.groups };
    const why: string[] = [];
    if (r.shell && fact.account.shell !== r.shell) why.push(`shell ${fact.account.shell} → ${r.shell}`);
    if (r.home && fact.account.home !== r.home) why.push(`home ${fact.account.home} → ${r.home}`);
    const missing = r.groups.filter((g) => !fact.groups.includes(g));
    if (missing.length) why.push(`not in group ${missing.join(", ")}`);
    if (!why.length) return { action: "noop", reason: "account exists", before, after };
    return { action: "update", reason: why.join(", "), before, after };
  },
  ops(change, ctx) {
    const r = change.resource!;
    const a = change.after as { groups: string[] };
    if (change.action === "delete") {
      return [ctx.root ? { label: `remove account ${r.name}`, argv: ["userdel", "--root", ctx.root, r.name] } : { label: `remove account ${r.name}`, argv: ["userdel", r.name] }];
    }
    if (change.action === "create") {
      if (ctx.root) {
        return [{ label: `create account ${r.name}`, argv: ["sh", "-c", ADD_ACCOUNT_OFFLINE, "hostkit-useradd", ctx.root, r.name, r.system ? "1" : "0", r.home ?? "", r.shell ?? "/bin/sh", r.group ?? "", r.groups.join(",")] }];
      }
      const argv = ["useradd"];
      if (r.system) argv.push("--system");
      if (r.home) argv.push("--home-dir", r.home);
      argv.push("--no-create-home");
      if (r.shell) argv.push("--shell", r.shell);
      // An existing group of the same name is reused (useradd --user-group would fail on it).
      const groupExists = (change.before as { groupExists?: boolean } | undefined)?.groupExists;
      argv.push(...(r.group || groupExists ? ["--gid", r.group ?? r.name] : ["--user-group"]));
      if (r.groups.length) argv.push("--groups", r.groups.join(","));
      argv.push("--", r.name);
      return [{ label: `create account ${r.name}`, argv }];
    }
    const argv = ["usermod"];
    if (ctx.root) argv.push("--root", ctx.root);
    if (r.shell) argv.push("--shell", r.shell);
    if (r.home) argv.push("--home", r.home);
    if (a.groups.length) argv.push("--append", "--groups", a.groups.join(","));
    argv.push("--", r.name);
    return [{ label: `update account ${r.name}`, argv }];
  },
  down: {
    invert: invertAccount,
    settled: (c) => (c.action === "delete" ? { exists: false } : c.action === "create" || c.action === "update" ? { exists: true } : undefined),
    observed: (f) => ({ exists: !!f.account }),
  },
  describe: (r) => (r.system ? "system" : ""),
});

function invertAccount(c: KindChange<AccountRes>, ctx: InvertCtx): Inverse {
  const r = c.resource!;
  const b = (c.before ?? {});
  const a = (c.after ?? {});
  if (c.action === "create") return deleteCreated(c, r, a);
  const added = ((a.groups ?? []) as string[]).filter((g) => !((b.groups ?? []) as string[]).includes(g));
  const shellBack = r.shell !== undefined && b.shell !== r.shell;
  const homeBack = r.home !== undefined && b.home !== r.home;
  if (added.length) ctx.warnings.push(`${c.key}: supplementary groups added by the up plan (${added.join(", ")}) are kept`);
  if (!shellBack && !homeBack) return {};
  const resource: AccountRes = { ...r, groups: [], ...(shellBack ? { shell: b.shell as string } : {}), ...(homeBack ? { home: b.home as string } : {}) };
  const reason = `restore previous ${[shellBack ? `shell ${b.shell}` : "", homeBack ? `home ${b.home}` : ""].filter(Boolean).join(", ")}`;
  return { change: { ...sameKey(c), action: "update", reason, before: { exists: true, ...a }, after: { ...a, shell: resource.shell, home: resource.home, groups: [] }, resource } };
}
