/** `account`: a user (and its group) in passwd, read from the host's account facts. */
import type { Account as AccountRes } from "../model/resource.ts";
import { ADD_ACCOUNT_OFFLINE } from "./scripts.ts";
import type { Account, HostFacts, Kind } from "./types.ts";

export interface AccountFact {
  account?: Account;
  groups: string[];
  /** A group named like the account already exists (useradd --user-group would fail on it). */
  groupExists: boolean;
}

function groupsOf(name: string, facts: HostFacts): string[] {
  return [...facts.groups.entries()].filter(([, g]) => g.members.includes(name)).map(([n]) => n).sort();
}

export const account: Kind<AccountRes, AccountFact> = {
  type: "account",
  probe: () => [],
  parse: (r, _out, facts) => {
    const a = facts.users.get(r.name);
    const groupExists = facts.groups.has(r.group ?? r.name);
    return a ? { account: a, groups: groupsOf(r.name, facts), groupExists } : { groups: [], groupExists };
  },
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
    const r = change.resource as AccountRes;
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
};
