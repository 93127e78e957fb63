/**
 * ExecStart= quoting with hostile arguments, checked three ways: a reimplementation of systemd's
 * unquoting (the oracle), `systemd-analyze verify` (accepts the line, no warnings), and systemd's
 * own parser (`systemd --test` dumps the argv it stored, which must be exactly ours).
 */
import { describe, expect, test } from "bun:test";
import { escapeSpecifiers, execLine, programProblem, quoteArg, quoteWord } from "../../src/render/systemd-quote.ts";
import { renderUnit } from "../../src/render/systemd.ts";
import { cannotRun } from "../helpers/real-host.ts";
import {
  execTimeExpand,
  noSystemdAnalyze,
  noSystemdTest,
  parseDumpedCommandLine,
  systemdExecArgv,
  systemdLoad,
  verifyUnits,
} from "../helpers/systemd.ts";

/** Arguments an attacker (or an unlucky config value) might pass. */
const HOSTILE = [
  "",
  " ",
  "two words",
  "'",
  '"',
  "\\",
  "\\\\",
  "a\\",
  "\\n",
  "$",
  "$$",
  "$HOME",
  "${HOME}",
  "$(rm -rf /)",
  "`id`",
  "%",
  "%n",
  "%%",
  "100%",
  ";",
  "\\;",
  "a;b",
  "; echo pwned",
  "\n",
  "line1\nline2",
  "\nExecStartPre=/bin/sh -c pwned",
  "\t",
  "\r\n",
  "#not-a-comment",
  "x # y",
  "\x01\x1b[31m\x7f",
  "é ü ß 日本 🦀",
  "-",
  "--flag=value with spaces",
  '"quoted"',
  "'single'",
  "mixed \"double\" and 'single'",
  "~",
  "*?[]{}|&<>!",
];

const PROGRAM = "/bin/echo";

function unit(argv: string[]): string {
  return renderUnit({ Unit: [["Description", "quoting test"]], Service: [["Type", "oneshot"], ["ExecStart", execLine(argv)]] });
}

describe("quoteWord / execLine (oracle: systemd.syntax(7) unquoting)", () => {
  for (const word of HOSTILE) {
    test(`round-trips ${JSON.stringify(word)}`, () => {
      expect(systemdExecArgv(execLine([PROGRAM, word]))).toEqual([PROGRAM, word]);
    });
  }

  test("round-trips all hostile words in one argv", () => {
    expect(systemdExecArgv(execLine([PROGRAM, ...HOSTILE]))).toEqual([PROGRAM, ...HOSTILE]);
  });

  test("round-trips 500 random argvs over a hostile alphabet", () => {
    const alphabet = [..." \t\n\r\"'\\$%;#`{}()abc=/-\x07", "é", "🦀"];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let k = 0; k < 500; k++) {
      const argv = [PROGRAM, ...Array.from({ length: 1 + rand(4) }, () => Array.from({ length: rand(8) }, () => alphabet[rand(alphabet.length)]).join(""))];
      expect(systemdExecArgv(execLine(argv))).toEqual(argv);
    }
  });

  test("plain words stay readable; others are quoted", () => {
    expect(execLine(["/usr/local/bin/mix", "exograph.index.hex", "--web", "--port", "4200"])).toBe("/usr/local/bin/mix exograph.index.hex --web --port 4200");
    expect(quoteWord("it's $HOME at 100%")).toBe(`"it's $$HOME at 100%%"`);
    expect(quoteWord("")).toBe('""');
    expect(execLine(["/bin/echo", ";"])).toBe("/bin/echo \\;");
  });

  test("the oracle itself rejects what systemd would misread (so the round-trip can fail)", () => {
    expect(() => systemdExecArgv("/bin/echo %n")).toThrow(/specifier/);
    expect(() => systemdExecArgv('/bin/echo "open')).toThrow(/unbalanced/);
    expect(() => systemdExecArgv("/bin/echo ; /bin/true")).toThrow(/separator/);
    expect(() => systemdExecArgv("/bin/echo $HOME")).toThrow(/expand a variable/);
    expect(systemdExecArgv("/bin/echo a\\x41 'b c'")).toEqual(["/bin/echo", "aA", "b c"]);
  });
});

describe("quoteArg (Environment=, ReadWritePaths=: unquoted, never $-expanded)", () => {
  test("keeps $ as is and escapes % and quotes", () => {
    expect(quoteArg("A=x$y 50%")).toBe('"A=x$y 50%%"');
    expect(quoteArg("/srv/toys/data")).toBe("/srv/toys/data");
  });
  test("escapeSpecifiers doubles %", () => {
    expect(escapeSpecifiers("Serve 100% of /srv/%p")).toBe("Serve 100%% of /srv/%%p");
  });
});

describe("programProblem", () => {
  test("accepts absolute paths and bare names", () => {
    expect(programProblem("/usr/bin/env")).toBeUndefined();
    expect(programProblem("mix")).toBeUndefined();
    expect(programProblem("/opt/my app/bin/run")).toBeUndefined();
  });
  test("refuses what systemd would misread", () => {
    expect(programProblem("")).toMatch(/empty/);
    expect(programProblem("-/bin/true")).toMatch(/prefix character/);
    expect(programProblem("/opt/$APP/bin/server")).toMatch(/must not contain "\$"/);
    expect(programProblem("bin/app")).toMatch(/absolute path or a bare command name/);
    expect(programProblem("/bin/true\nExecStartPre=/bin/sh")).toMatch(/control character/);
  });
});

describe.skipIf(cannotRun("test/render/systemd-quote.test.ts", noSystemdAnalyze))(`systemd-analyze verify on hostile ExecStart= lines${noSystemdAnalyze ? ` (skipped: ${noSystemdAnalyze})` : ""}`, () => {
  test("accepts every hostile word with no warning at all", () => {
    const units: Record<string, string> = {};
    HOSTILE.forEach((w, i) => (units[`hostile-${i}.service`] = unit([PROGRAM, w])));
    units["hostile-all.service"] = unit([PROGRAM, ...HOSTILE]);
    const r = verifyUnits(units);
    expect(r.problems).toEqual([]);
    expect(r.code).toBe(0);
  });

  test("does warn about broken quoting (the check can fail)", () => {
    const r = verifyUnits({ "broken.service": `[Service]\nType=oneshot\nExecStart=${PROGRAM} "unterminated\n` });
    expect(r.problems.join("\n")).toMatch(/Unbalanced quoting/);
  });
});

describe.skipIf(cannotRun("test/render/systemd-quote.test.ts (systemd --test)", noSystemdTest))(`systemd's own parser (systemd --test)${noSystemdTest ? ` (skipped: ${noSystemdTest})` : ""}`, () => {
  test("stores exactly our argv for every hostile word", () => {
    const argv = [PROGRAM, ...HOSTILE];
    const loaded = systemdLoad({ "hostile.service": unit(argv) }, "hostile.service").get("hostile.service");
    const line = loaded?.find(([k]) => k === "Command Line")?.[1];
    expect(line).toBeDefined();
    expect(parseDumpedCommandLine(line!).map(execTimeExpand)).toEqual(argv);
  });

  test("reads Environment= and ReadWritePaths= values literally ($ kept, % unescaped)", () => {
    const text = renderUnit({
      Service: [
        ["Type", "oneshot"],
        ["ExecStart", "/bin/true"],
        ["Environment", quoteArg('GREETING=hello "$USER" at 100%')],
        ["Environment", quoteArg("PLAIN=x")],
        ["ReadWritePaths", ["/srv/a b", "/srv/c$d", "/srv/e%f"].map(quoteArg).join(" ")],
        ["WorkingDirectory", escapeSpecifiers("/srv/50% off")],
      ],
    });
    const loaded = systemdLoad({ "env.service": text }, "env.service").get("env.service")!;
    const values = (key: string) => loaded.filter(([k]) => k === key).map(([, v]) => v);
    expect(values("Environment")).toEqual(['GREETING=hello "$USER" at 100%', "PLAIN=x"]);
    expect(values("ReadWritePaths")).toEqual(["/srv/a b /srv/c$d /srv/e%f"]);
    expect(values("WorkingDirectory")).toEqual(["/srv/50% off"]);
  });
});
