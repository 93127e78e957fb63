/** systemd units: the rendered unit file and whether it is enabled (offline: the tree's wants symlinks). */
import { describe, expect, test } from "bun:test";
import { systemdService } from "../../src/kinds/unit-file.ts";
import { SAFE_SYSTEMCTL } from "../../src/kinds/scripts.ts";
import type { KindChange } from "../../src/model/kind.ts";
import type { SystemdService } from "../../src/model/resource.ts";
import { decide } from "./fixtures.ts";

describe("systemd_service: probe fixtures → decision", () => {
  test("no unit file → create", () => {
    expect(decide("unit-missing").decision).toMatchObject({ action: "create", reason: "unit file does not exist", after: { enabled: "enabled" } });
  });

  test("same unit file and enabled → noop", () => {
    expect(decide("unit-match").decision).toMatchObject({ action: "noop", reason: "unit matches", before: { enabled: "enabled" } });
  });

  test("the wants symlink is gone → update: not enabled", () => {
    expect(decide("unit-disabled").decision).toMatchObject({ action: "update", reason: "not enabled (disabled)" });
  });

  test("enabled but declared disabled → update", () => {
    expect(decide("unit-declared-disabled").decision).toMatchObject({ action: "update", reason: "enabled but declared disabled" });
  });

  test("a hand-edited unit file → update with both texts for the diff", () => {
    const { decision } = decide("unit-edited");
    expect(decision.action).toBe("update");
    expect(decision.reason).toBe("unit file differs");
    expect(String((decision.before as { content: string }).content)).toEndWith("# hand edit\n");
  });
});

describe("systemd_service: ops", () => {
  const { fx } = decide("unit-disabled");
  const r = fx.resource as SystemdService;
  const change = (before: Record<string, unknown>, after: Record<string, unknown>): KindChange<SystemdService> => ({ key: `systemd_service:${r.name}`, type: "systemd_service", id: r.id, action: "update", reason: "", resource: r, before, after });

  test("only enabling when only enablement differs (no rewrite of an identical unit)", () => {
    const ops = systemdService.ops(change({ content: "X", enabled: "disabled" }, { content: "X", enabled: "enabled" }), { root: "/img" });
    // Offline, enable links are made only after checking no unit directory is a link.
    expect(ops.map((o) => o.argv)).toEqual([["sh", "-c", SAFE_SYSTEMCTL, "hostkit-systemctl", "/img", "enable", "--", r.name]]);
  });

  test("a changed unit is written (root-owned, 0644) and disabling uses systemctl", () => {
    const ops = systemdService.ops(change({ content: "X", enabled: "enabled" }, { content: "Y", enabled: "disabled" }), {});
    expect(ops.map((o) => o.label)).toEqual([`write unit ${r.name}`, `disable ${r.name}`]);
    expect(ops[0]!.argv.slice(4)).toEqual([`/etc/systemd/system/${r.name}`, "644", "root", "root", "", "0"]);
    expect(ops[1]!.argv).toEqual(["systemctl", "disable", "--", r.name]);
  });
});
