/**
 * Every example applied with --root creates exactly what it declares (modes, owners resolved through
 * the tree's own etc/passwd and etc/group, contents, unit enablement symlinks) and nothing else; a
 * second plan on the same root reports zero changes.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "../../src/load.ts";
import type { Resource } from "../../src/model/resource.ts";
import { renderUnit } from "../../src/render/systemd.ts";
import { parseEnvFile } from "../../src/render/dotenv.ts";
import { contentBytes } from "../../src/kinds/file.ts";
import { statePath } from "../../src/plan/managed.ts";
import { hostkit, idsOf, readTree, removeTempDirs, REPO, tempDir, type Entry } from "./helpers.ts";

afterAll(removeTempDirs);

const examples = readdirSync(join(REPO, "examples"))
  .filter((f) => f.endsWith(".ts"))
  .sort();

/**
 * Examples that cannot converge yet, with why. Each is still run, and must still fail for that reason
 * (so this list shrinks as soon as the cause is fixed).
 */
const KNOWN: Record<string, RegExp> = {};

/** `--require F` named in an example's header comment (e.g. "hostkit dump --require X this.ts"). */
function requires(file: string): string[] {
  const head = readFileSync(join(REPO, "examples", file), "utf8").split("\n").slice(0, 6).join("\n");
  return [...head.matchAll(/--require (\S+\.ts)\b/g)].flatMap((m) => ["--require", m[1]!]);
}

/** A distinct value for every secret the example references. */
function secretEnv(resources: readonly Resource[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const r of resources) if (r.type === "env_file") for (const ref of Object.values(r.secret)) env[ref.$secret.env] = `value-of-${ref.$secret.env}-${ref.$secret.env.length}`;
  return env;
}

/** What the tree must hold for one resource; returns the paths it accounts for. */
function checkResource(root: string, tree: Map<string, Entry>, r: Resource, env: Record<string, string>): string[] {
  const users = idsOf(root, "passwd");
  const groups = idsOf(root, "group");
  const owned = (path: string, e: Entry | undefined, want: { owner: string; group: string; mode: number }) => {
    expect({ path, type: e?.type }).toEqual({ path, type: expect.anything() });
    expect({ path, mode: e!.mode.toString(8), uid: e!.uid, gid: e!.gid }).toEqual({ path, mode: want.mode.toString(8), uid: users.get(want.owner)!, gid: groups.get(want.group)! });
  };
  switch (r.type) {
    case "directory": {
      const e = tree.get(r.path);
      owned(r.path, e, r);
      expect({ path: r.path, type: e!.type }).toEqual({ path: r.path, type: "dir" });
      return [r.path];
    }
    case "firewall": {
      // The rendered file, and the conf that includes it at boot.
      expect({ path: r.path, same: tree.get(r.path)?.content?.toString("utf8") === r.content }).toEqual({ path: r.path, same: true });
      expect(readFileSync(join(root, "etc/nftables.conf"), "utf8")).toContain('include "/etc/nftables.d/*.nft"');
      return [r.path, "/etc/nftables.conf"];
    }
    case "file": {
      const e = tree.get(r.path);
      owned(r.path, e, r);
      expect({ path: r.path, same: e!.content?.equals(Buffer.from(contentBytes(r))) }).toEqual({ path: r.path, same: true });
      return [r.path];
    }
    case "env_file": {
      const e = tree.get(r.path);
      owned(r.path, e, r);
      const values = parseEnvFile(e!.content!.toString("utf8"));
      const want = { ...r.set, ...Object.fromEntries(Object.entries(r.secret).map(([k, ref]) => [k, env[ref.$secret.env]!])) };
      expect({ path: r.path, values }).toEqual({ path: r.path, values: want });
      return [r.path];
    }
    case "symlink": {
      const e = tree.get(r.path);
      expect({ path: r.path, type: e?.type, target: e?.target }).toEqual({ path: r.path, type: "link", target: r.target });
      return [r.path];
    }
    case "systemd_service":
    case "systemd_timer": {
      const path = `/etc/systemd/system/${r.name}`;
      const e = tree.get(path);
      owned(path, e, { owner: "root", group: "root", mode: 0o644 });
      expect(e!.content!.toString("utf8")).toBe(renderUnit(r.sections));
      const links: string[] = [];
      for (const [k, dirSuffix] of [["WantedBy", "wants"], ["RequiredBy", "requires"]] as const) {
        for (const [key, value] of r.sections.Install ?? []) {
          if (key !== k) continue;
          for (const t of value.split(/\s+/).filter(Boolean)) {
            const link = `/etc/systemd/system/${t}.${dirSuffix}/${r.name}`;
            if (r.enable) expect({ link, target: tree.get(link)?.target }).toEqual({ link, target: path });
            else expect({ link, present: tree.has(link) }).toEqual({ link, present: false });
            links.push(link);
          }
        }
      }
      return r.enable ? [path, ...links] : [path];
    }
    case "account": {
      const line = readFileSync(join(root, "etc/passwd"), "utf8").split("\n").find((l) => l.startsWith(`${r.name}:`));
      expect({ account: r.name, exists: !!line }).toEqual({ account: r.name, exists: true });
      const [, , uid, gid, , home, shell] = line!.split(":");
      if (r.system) expect(Number(uid)).toBeLessThan(1000);
      if (r.shell) expect(shell).toBe(r.shell);
      if (r.home) expect(home).toBe(r.home);
      expect(Number(gid)).toBe(groups.get(r.group ?? r.name)!);
      for (const g of r.groups) {
        const members = readFileSync(join(root, "etc/group"), "utf8").split("\n").find((l) => l.startsWith(`${g}:`))?.split(":")[3]?.split(",") ?? [];
        expect({ account: r.name, group: g, member: members.includes(r.name) }).toEqual({ account: r.name, group: g, member: true });
      }
      return [];
    }
    case "caddy_site": {
      const e = tree.get(r.path);
      owned(r.path, e, { owner: "root", group: "root", mode: 0o644 });
      expect({ path: r.path, content: e!.content?.toString("utf8") }).toEqual({ path: r.path, content: r.content });
      return [r.path];
    }
    case "caddy_import": {
      // no Caddyfile in a fresh tree: the marked import line alone
      expect(tree.get(r.path)?.content?.toString("utf8")).toBe(`# Added by HostKit: the sites it manages, one file each. Keep this import.\nimport ${r.sitesDir}/*.caddy\n`);
      return [r.path];
    }
    default:
      return []; // commands and packages do nothing to an offline tree
  }
}

describe.each(examples)("examples/%s with --root", (name) => {
  test("apply creates exactly what it declares; a second plan has no changes", async () => {
    const file = `examples/${name}`;
    const req = requires(name);
    const project = await load(join(REPO, file), { require: req.filter((_, i) => i % 2 === 1).map((f) => join(REPO, f)) });
    const env = secretEnv(project.resources);
    const root = join(tempDir("hostkit-ex-"), "root");
    if (!project.resources.some((r) => !r.host)) {
      // everything is declared for hosts (instances.ts): --root plans none of it and says so
      const r = await hostkit(["plan", file, ...req, "--root", root, "--detailed-exitcode"], { env });
      expect({ code: r.code, warned: r.stdout.includes("are not planned on root") }).toEqual({ code: 0, warned: true });
      return;
    }
    const applied = await hostkit(["apply", file, ...req, "--root", root, "--confirm"], { env });
    if (KNOWN[name]) {
      expect(applied.code).toBe(1);
      expect(applied.stderr).toMatch(KNOWN[name]!);
      return;
    }
    expect({ code: applied.code, stderr: applied.stderr.split("\n").filter((l) => /error|fail/i.test(l)) }).toEqual({ code: 0, stderr: [] });

    // An example whose every resource is for a declared host (firewall.ts) plans nothing on a root.
    const tree = existsSync(root) ? readTree(root) : new Map<string, Entry>();
    // The tree's accounts, and the managed-resources record every apply leaves (plan/managed.ts).
    const accounted = new Set<string>(["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", statePath(project.project)]);
    for (const r of project.resources.filter((x) => !x.host)) for (const p of checkResource(root, tree, r, env)) accounted.add(p);
    // Nothing else: every other entry is a parent directory of something declared (or a symlink's dir).
    const extra = [...tree.keys()].filter((p) => !accounted.has(p) && !(tree.get(p)!.type === "dir" && [...accounted].some((a) => a.startsWith(`${p}/`))));
    expect(extra).toEqual([]);

    const again = await hostkit(["plan", file, ...req, "--root", root, "--detailed-exitcode"], { env });
    // OS packages and mise are not planned on an offline root: such a plan says so and never exits "nothing to change" (0).
    const packages = project.resources.filter((r) => !r.host && ["package", "mise", "mise_tool"].includes(r.type)).length;
    const tail = packages ? ` ${packages} declared resource\\(s\\) could not be planned \\(see the warning\\)\\.` : "";
    expect({ code: again.code, out: again.stdout.split("\n").filter((l) => /^[+~-]|^run |Plan:|No changes/.test(l)) }).toEqual({ code: packages ? 2 : 0, out: [expect.stringMatching(new RegExp(`^No changes\\. \\d+ resource\\(s\\) already match\\.${tail}$`))] });
  });
});
