/**
 * Command downs only with their cause: a `when: "changed"` command runs on a release change of its
 * service (its files, env files, what its unit runs) and records what triggered it; a down plan runs
 * its down only when that trigger is reverted too, and says which downs it skipped and why. The
 * issue's scenario: change only restartSec → the migration does not run, and `down` does not run
 * its rollback; change what the daemon runs → it runs, and the down runs the rollback.
 */
import { describe, expect, test } from "bun:test";
import { down } from "../../src/plan/down.ts";
import { renderUnit } from "../../src/render/systemd.ts";
import type { SystemdService } from "../../src/model/resource.ts";
import { cmdRes, fileFact, fileRes, unitFact, unitRes, upPlan } from "./fixtures.ts";

const withRestartSec = (exec: string, sec: string): SystemdService =>
  unitRes("web.service", exec, { service: "web", sections: { Service: [["ExecStart", exec], ["RestartSec", sec]], Install: [["WantedBy", "multi-user.target"]] } });
const migrate = cmdRes("migrate", ["/srv/app/bin/migrate"], ["/srv/app/bin/rollback"], { service: "web" });
const runs = (p: { changes: { key: string; action: string }[] }) => p.changes.filter((c) => c.action === "run" && c.key.startsWith("command:")).map((c) => c.key);

describe("command downs follow their cause", () => {
  test("restartSec only: the migration does not run, the plan says why, and down --last does not run its rollback (and says so)", () => {
    const old = withRestartSec("/srv/app/bin/web v1", "5");
    const now = withRestartSec("/srv/app/bin/web v1", "10");
    const up = upPlan([[now, unitFact(renderUnit(old.sections))], [migrate, null]]);
    expect(up.changes.map((c) => c.key)).toContain("systemd_service:web.service");
    expect(runs(up)).toEqual([]);
    expect(up.warnings).toContain("command:migrate did not run: service web changed (systemd_service:web.service) but not its release (files, env files, what its units run)");
    const d = down(up);
    expect(runs(d)).toEqual([]);
    expect(d.warnings.some((w) => w.startsWith("command:migrate did not run") && w.endsWith("its down is not run either"))).toBe(true);
  });

  test("a release change (what the daemon runs) runs the migration, recording its cause; down runs the rollback", () => {
    const old = withRestartSec("/srv/app/bin/web v1", "5");
    const now = withRestartSec("/srv/app/bin/web v2", "5");
    const up = upPlan([[now, unitFact(renderUnit(old.sections))], [migrate, null]]);
    const run = up.changes.find((c) => c.key === "command:migrate")!;
    expect(run.reason).toBe("systemd_service:web.service changed");
    expect(run.after).toMatchObject({ triggeredBy: ["systemd_service:web.service"] });
    const d = down(up);
    expect(d.changes.find((c) => c.key === "command:migrate")?.after).toMatchObject({ exec: ["/srv/app/bin/rollback"] });
  });

  test("a config file of the service is a release change; a down reverting only something else skips the rollback, naming why", () => {
    const conf = fileRes("/etc/web/app.toml", "v=2\n", { service: "web" });
    const other = fileRes("/etc/motd", "hi\n");
    const unit = withRestartSec("/srv/app/bin/web v1", "5");
    const up = upPlan([[conf, fileFact("v=1\n")], [other, fileFact("old\n")], [unit, unitFact(renderUnit(unit.sections))], [migrate, null]]);
    expect(runs(up)).toEqual(["command:migrate"]);
    const partial = down(up, { only: ["file:/etc/motd", "command:migrate"] });
    expect(runs(partial)).toEqual([]);
    expect(partial.warnings).toContain("command:migrate: its down is not run: what triggered it (file:/etc/web/app.toml) is not reverted by this down plan");
    expect(runs(down(up))).toEqual(["command:migrate"]);
  });
});
