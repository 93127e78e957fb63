// The nested part of a saved instance plan is checked against the declarations before anything runs
// (src/apply/integrity-nested.ts), without Incus: the plans are built as `plan --out` builds them for
// an instance that does not exist yet (a preview), then edited the ways an attacker would.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/load.ts";
import { verifyNested } from "../../src/apply/integrity-nested.ts";
import { planUnreached } from "../../src/plan/unreached.ts";
import { makePlan, type Change, type Plan } from "../../src/model/plan.ts";
import { resolveTargets } from "../../src/targets/resolve.ts";
import { kindOf } from "../../src/kinds/registry.ts";

const dir = mkdtempSync(join(tmpdir(), "hk-inst3-nested-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "id.pub"), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl hk\n");
const infra = join(dir, "infra.ts");
writeFileSync(
  infra,
  `import { project, incus } from "hostkit";
export default project("nested", (p) => {
  p.instance("demo", { backend: incus({ sudo: true }), image: "img", expose: { ssh: { host: 2399, guest: 22 } } }, (i) => {
    i.host("guest", { at: "127.0.0.1", ssh: { user: "root", port: 2399, identityFile: "${dir}/id" } });
    i.file("/srv/a", { content: "a\\n" });
    i.file("/srv/b", { content: "b\\n" });
  });
});
`,
);
const project = await load(infra);
const pair = resolveTargets(project.hosts, { instance: ["demo"] }, undefined, project.instances)[0]!.pair!;

/** The saved plan `plan --instance demo --out` writes while the instance does not exist. */
function savedPlan(): Plan {
  const r = project.resources.find((x) => x.type === "instance")!;
  const d = kindOf("instance")!.diff(r as never, null as never);
  const controller = makePlan({ direction: "up", project: "nested", target: pair.controller.info, basis: "b", warnings: [], summary: { create: 1, update: 0, delete: 0, run: 0, noop: 0 }, changes: [{ key: "instance:demo", type: "instance", id: "demo", ...d, resource: r, basis: "x" } as Change] });
  const nested = planUnreached({ project: "nested", resources: project.resources, target: pair.nested!.info, why: "instance demo does not exist yet: created after it" });
  return JSON.parse(JSON.stringify({ ...controller, nested: { preview: true, plan: nested } }));
}
const check = (plan: Plan) => () => verifyNested({ saved: { plan, path: "p.json", signature: "unchecked" }, file: infra, project, instance: "demo", nested: pair.nested!.info });

describe("verifyNested (a preview, the instance not created yet)", () => {
  test("the plan as made passes; apply plans the guest again leaving out nothing it lists", () => {
    const v = check(savedPlan())()!;
    expect(v.preview).toBe(true);
    expect(v.plan.changes.map((c) => c.key)).toEqual(["file:/srv/a", "file:/srv/b"]);
    expect(v.ignore).toEqual([]);
  });

  test("a subset (plan --only) passes; the rest is left out when the guest is planned again", () => {
    const p = savedPlan();
    p.nested!.plan.changes = p.nested!.plan.changes.filter((c) => c.key === "file:/srv/a");
    expect(check(p)()!.ignore).toEqual(["file:/srv/b"]);
  });

  test("an edited resource, an added resource, a duplicate: refused, naming each", () => {
    const p = savedPlan();
    const [a] = p.nested!.plan.changes as Change[];
    (a!.resource as Record<string, unknown>).content = "evil\n";
    p.nested!.plan.changes.push({ ...a!, key: "file:/root/.ssh/authorized_keys", id: "/root/.ssh/authorized_keys" } as never, { ...(p.nested!.plan.changes[1] as Change) } as never);
    expect(check(p)).toThrow(/is refused: it is not what .* declares; nothing was applied:\n {2}file:\/srv\/a: differs from the declaration in: resource\.content\n {2}file:\/root\/\.ssh\/authorized_keys: is not a resource .* declares for guest .*\n {2}file:\/srv\/b: appears twice/);
  });

  test("a read plan claimed while the instance is still to be created; another target; a down part", () => {
    const read = savedPlan();
    read.nested!.preview = false;
    expect(check(read)).toThrow("nested.preview: the instance's change comes first (instance demo does not exist yet: created after it): its contents can only be a preview");
    const elsewhere = savedPlan();
    elsewhere.nested!.plan.target = { ...elsewhere.nested!.plan.target, port: 22 };
    expect(check(elsewhere)).toThrow("nested.target: the nested plan is for guest, but");
    const down = savedPlan();
    down.nested!.plan.direction = "down";
    expect(check(down)).toThrow("nested.direction: the nested plan of an up plan is an up plan");
  });

  test("an up plan of an instance with a host inside must carry its plan; a down plan must not", () => {
    const bare = savedPlan();
    delete bare.nested;
    expect(check(bare)).toThrow("nested: instance demo declares the host guest inside it, but the plan carries no plan for it");
    const down = { ...savedPlan(), direction: "down" as const };
    expect(check(down)).toThrow("nested: a down plan carries no nested plan");
    delete down.nested;
    expect(check(down)()).toBeUndefined();
  });
});
