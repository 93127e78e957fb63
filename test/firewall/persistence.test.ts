/** persistence(): how /etc/nftables.conf includes HostKit's file, as data; the result loads on nft. */
import { describe, expect, test } from "bun:test";
import { DEFAULT_PATH, persistence, render } from "../../src/firewall/nftables.ts";
import { examples } from "../fixtures/firewall/index.ts";
import { dir, inNetns, nsUnavailable, tempFile } from "./netns.ts";

/** Debian 12's default /etc/nftables.conf, verbatim (reference integrations.md §2.1). */
const DEBIAN_DEFAULT = `#!/usr/sbin/nft -f

flush ruleset

table inet filter {
	chain input {
		type filter hook input priority filter;
	}
	chain forward {
		type filter hook forward priority filter;
	}
	chain output {
		type filter hook output priority filter;
	}
}
`;

describe("persistence", () => {
  test("Debian's default conf: the include glob is appended, nothing else changes, the service is enabled", () => {
    const p = persistence(DEBIAN_DEFAULT);
    expect(p.confPath).toBe("/etc/nftables.conf");
    expect(p.changed).toBe(true);
    expect(p.includeLine).toBe('include "/etc/nftables.d/*.nft"');
    expect(p.content).toBe(`${DEBIAN_DEFAULT}\n# Added by HostKit: its firewall table (table inet hostkit) at boot.\ninclude "/etc/nftables.d/*.nft"\n`);
    expect(p.enableArgv).toEqual(["systemctl", "enable", "nftables.service"]);
    expect(p.notes.join("\n")).toContain('"flush ruleset"');
  });

  test("idempotent: applied to its own output it changes nothing", () => {
    const once = persistence(DEBIAN_DEFAULT).content;
    const twice = persistence(once);
    expect(twice.changed).toBe(false);
    expect(twice.content).toBe(once);
  });

  test("an include that already covers the file (literal or glob) is kept as the admin wrote it", () => {
    for (const line of [`include "${DEFAULT_PATH}"`, 'include "/etc/nftables.d/*.nft"', '  include "/etc/nftables.d/*"']) {
      const conf = `#!/usr/sbin/nft -f\n${line}\n`;
      expect(persistence(conf)).toMatchObject({ changed: false, content: conf, notes: [] });
    }
    // A commented-out include does not count.
    expect(persistence('#include "/etc/nftables.d/*.nft"\n').changed).toBe(true);
  });

  test("no conf at all: a minimal one with the include and no flush", () => {
    const p = persistence(null);
    expect(p.content).toBe('#!/usr/sbin/nft -f\n\n# Added by HostKit: its firewall table (table inet hostkit) at boot.\ninclude "/etc/nftables.d/*.nft"\n');
    expect(p.notes).toEqual([]);
  });

  test("another file path includes its own directory; a conf without a final newline gets one", () => {
    const p = persistence("table inet x {}", "/etc/hostkit/fw.nft");
    expect(p.content).toBe('table inet x {}\n\n# Added by HostKit: its firewall table (table inet hostkit) at boot.\ninclude "/etc/hostkit/*.nft"\n');
  });

  test("a hostile file path is refused", () => {
    for (const bad of ['/etc/x"; flush ruleset; ".nft', "/etc/../x.nft", "relative.nft", "/etc/x.conf", "/etc/a b.nft"]) {
      expect(() => persistence(null, bad)).toThrow("must be an absolute path ending in .nft");
    }
  });
});

describe.skipIf(nsUnavailable !== undefined)("the persisted conf loads on nft (unshare -rn)", () => {
  test("Debian's conf plus the include loads HostKit's table, and reloading it is idempotent", () => {
    const fileDir = `${dir}/nftables.d`;
    const conf = persistence(DEBIAN_DEFAULT, `${fileDir}/hostkit.nft`).content;
    const confFile = tempFile(conf, "nftables.conf");
    const r = inNetns(`mkdir -p ${fileDir}; cat > ${fileDir}/hostkit.nft < ${tempFile(render(examples.seed!))}; nft -f ${confFile}; nft -f ${confFile}; nft list tables`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("table inet filter\ntable inet hostkit\n");
  });
});
