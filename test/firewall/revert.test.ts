/** The never-lock-yourself-out dance as argv data, and the restore file proven on nft in a namespace. */
import { describe, expect, test } from "bun:test";
import { render } from "../../src/firewall/nftables.ts";
import { armArgv, disarmArgv, listTableArgv, loadArgv, revertFileContent, revertSteps, revertUnit, timerStateArgv, validateArgv } from "../../src/firewall/revert.ts";
import { examples } from "../fixtures/firewall/index.ts";
import { inNetns, nsUnavailable, tempFile } from "./netns.ts";

describe("argv builders", () => {
  test("validate, load, list", () => {
    expect(validateArgv("/etc/nftables.d/hostkit.nft")).toEqual(["/usr/sbin/nft", "-c", "-f", "/etc/nftables.d/hostkit.nft"]);
    expect(loadArgv("/etc/nftables.d/hostkit.nft")).toEqual(["/usr/sbin/nft", "-f", "/etc/nftables.d/hostkit.nft"]);
    expect(listTableArgv()).toEqual(["/usr/sbin/nft", "list", "table", "inet", "hostkit"]);
  });

  test("arm: a transient timer that runs nft -f on the saved file, with 1 s accuracy", () => {
    expect(armArgv("20261201-1705-ab12", "/var/lib/hostkit/firewall/revert-20261201-1705-ab12.nft")).toEqual([
      "systemd-run",
      "--unit=hostkit-fw-revert-20261201-1705-ab12",
      "--description=HostKit: restore the previous firewall table unless the new one was confirmed",
      "--on-active=30s",
      "--timer-property=AccuracySec=1s",
      "--collect",
      "--quiet",
      "/usr/sbin/nft",
      "-f",
      "/var/lib/hostkit/firewall/revert-20261201-1705-ab12.nft",
    ]);
    expect(armArgv("r1", "/x/r.nft", 90)).toContain("--on-active=90s");
  });

  test("disarm and state name the timer unit", () => {
    expect(revertUnit("r1")).toEqual({ unit: "hostkit-fw-revert-r1", timer: "hostkit-fw-revert-r1.timer", service: "hostkit-fw-revert-r1.service" });
    expect(disarmArgv("r1")).toEqual(["systemctl", "stop", "hostkit-fw-revert-r1.timer"]);
    expect(timerStateArgv("r1")).toEqual(["systemctl", "show", "--property=ActiveState", "--value", "hostkit-fw-revert-r1.timer"]);
  });

  test("hostile ids, paths and windows are refused", () => {
    expect(() => armArgv("x;reboot", "/x/r.nft")).toThrow("revert id");
    expect(() => armArgv("a b", "/x/r.nft")).toThrow("revert id");
    expect(() => disarmArgv("../../x")).toThrow("revert id");
    expect(() => armArgv("r1", "/x/../etc/shadow")).toThrow("must be absolute");
    expect(() => armArgv("r1", "relative.nft")).toThrow("must be absolute");
    expect(() => loadArgv("/x/a\nb.nft")).toThrow("must be absolute");
    expect(() => armArgv("r1", "/x/r.nft", 0)).toThrow("5–3600");
    expect(() => armArgv("r1", "/x/r.nft", 1.5)).toThrow("5–3600");
  });

  test("the steps come in the only safe order: save, check both files, arm, load, verify, disarm", () => {
    const { savedFile, steps } = revertSteps({ id: "r1", newFile: "/etc/nftables.d/hostkit.nft" });
    expect(savedFile).toBe("/var/lib/hostkit/firewall/revert-r1.nft");
    expect(steps.map((s) => s.step)).toEqual(["save", "write-saved", "validate", "validate", "arm", "load", "verify", "disarm", "cleanup"]);
    expect(steps.find((s) => s.step === "arm")!.argv).toEqual(armArgv("r1", savedFile));
    expect(steps.find((s) => s.step === "load")!.argv).toEqual(loadArgv("/etc/nftables.d/hostkit.nft"));
    expect(steps.at(-1)!.argv).toEqual(["rm", "-f", "--", savedFile]);
    expect(revertSteps({ id: "r1", newFile: "/n.nft", stateDir: "/run/hk", seconds: 10 }).steps.find((s) => s.step === "arm")!.argv).toContain("--on-active=10s");
  });
});

describe("revertFileContent", () => {
  test("absent table: the restore removes HostKit's table and nothing else", () => {
    expect(revertFileContent(null)).toBe(
      "#!/usr/sbin/nft -f\n# Written by HostKit before a firewall reload: restores the previous table inet hostkit.\ntable inet hostkit\ndelete table inet hostkit\n",
    );
  });
  test("a listing that is not exactly our one table is refused", () => {
    expect(() => revertFileContent("table inet other {\n}\n")).toThrow("not exactly one");
    expect(() => revertFileContent("table inet hostkit {\n}\ntable ip evil {\n}\n")).toThrow("not exactly one");
    expect(() => revertFileContent('table inet hostkit {\n\tinclude "/etc/shadow"\n}\n')).toThrow("not exactly one");
  });
});

describe.skipIf(nsUnavailable !== undefined)("the restore file on nft (unshare -rn)", () => {
  test("save v1 → load v2 → run the restore: v1 is back, the foreign table untouched", () => {
    const v1 = tempFile(render(examples.seed!), "v1.nft");
    const v2 = tempFile(render(examples["ranges, udp, interface, raw"]!), "v2.nft");
    const saved = inNetns(`nft add table ip other; nft add chain ip other c; nft -f ${v1}; ${listTableArgv().join(" ")}`);
    expect(saved.code).toBe(0);
    const restore = tempFile(revertFileContent(saved.stdout), "restore.nft");
    const r = inNetns(
      `nft add table ip other; nft add chain ip other c; nft -f ${v1}; a=$(nft list ruleset); nft -f ${v2}; b=$(nft list ruleset); nft -f ${restore}; c=$(nft list ruleset); ` +
        `[ "$a" != "$b" ] && echo changed; [ "$a" = "$c" ] && echo restored; nft list ruleset`,
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toStartWith("changed\nrestored\n");
    expect(r.stdout).toContain("table ip other {");
  });

  test("no table before: the restore removes only HostKit's table", () => {
    const v2 = tempFile(render(examples.seed!), "v2.nft");
    const restore = tempFile(revertFileContent(null), "restore-empty.nft");
    const r = inNetns(`nft add table ip other; nft -f ${v2}; nft -f ${restore}; nft list tables`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("table ip other\n");
  });
});
