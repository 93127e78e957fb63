/** Unit file rendering: deterministic, and never a line a value could break out of. */
import { expect, test } from "bun:test";
import { renderUnit } from "../../src/render/systemd.ts";

test("sections come in systemd's order whatever the declaration order; directives keep theirs", () => {
  const text = renderUnit({
    Install: [["WantedBy", "multi-user.target"]],
    "X-Custom": [["Key", "v"]],
    Service: [["Type", "exec"], ["ExecStart", "/usr/bin/true"], ["Environment", "B=2"], ["Environment", "A=1"]],
    Unit: [["Description", "d"]],
    Empty: [],
  });
  expect(text).toBe(
    [
      "# Managed by HostKit. Local edits are reported as drift and replaced on apply.",
      "[Unit]",
      "Description=d",
      "",
      "[Service]",
      "Type=exec",
      "ExecStart=/usr/bin/true",
      "Environment=B=2",
      "Environment=A=1",
      "",
      "[Install]",
      "WantedBy=multi-user.target",
      "",
      "[X-Custom]",
      "Key=v",
      "",
    ].join("\n"),
  );
});

test("refuses a value with a line break (a unit read back from a tampered plan)", () => {
  expect(() => renderUnit({ Service: [["ExecStart", "/usr/bin/true\nExecStartPre=/bin/sh"]] })).toThrow(/line break/);
  expect(() => renderUnit({ Service: [["Description", "a\rb"]] })).toThrow(/line break/);
});
