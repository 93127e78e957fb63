/** Env files: values survive the dotenv round trip; secrets are masked everywhere but apply. */
import { expect, test } from "bun:test";
import { parseEnvFile, quoteEnvValue, renderEnvFile, renderEnvFileMasked } from "../../src/render/dotenv.ts";

const HOSTILE: Record<string, string> = {
  PLAIN: "prod",
  EMPTY: "",
  SPACES: "two words",
  DOLLAR: "$HOME and ${PATH}",
  QUOTES: `"double" and 'single'`,
  BACKSLASH: "C:\\path\\",
  BACKTICK: "`id`",
  NEWLINE: "line1\nline2",
  HASH: "# not a comment",
  URL: "postgres://user:p@ss@db:5432/shop?ssl=true",
};

test("values round-trip through render and parse", () => {
  const text = renderEnvFile({ set: HOSTILE, secret: {} }, () => "");
  expect(parseEnvFile(text)).toEqual(HOSTILE);
});

test("plain values stay unquoted; others are double-quoted with $ escaped", () => {
  expect(quoteEnvValue("prod")).toBe("prod");
  expect(quoteEnvValue("a $b")).toBe('"a \\$b"');
});

test("secrets: masked with the variable they come from; resolved only by renderEnvFile", () => {
  const env = { set: { PORT: "4000" }, secret: { KEY: { $secret: { env: "SECRET_KEY_BASE" } } } };
  expect(renderEnvFileMasked(env)).toBe('# Managed by HostKit.\nPORT=4000\nKEY="(secret) \\$SECRET_KEY_BASE"\n');
  expect(renderEnvFile(env, (ref) => `value-of-${ref.$secret.env}`)).toBe("# Managed by HostKit.\nPORT=4000\nKEY=value-of-SECRET_KEY_BASE\n");
});
