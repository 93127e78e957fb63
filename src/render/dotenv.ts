/**
 * Env files in the dotenv format systemd's EnvironmentFile= and Dotenvy both read: `KEY="value"`
 * with `\\`, `"`, `$` and newlines escaped. Secret values are resolved only by `renderEnvFile` with a
 * resolver, at apply time; `renderEnvFileMasked` is for plans and diffs.
 */
import type { EnvFile } from "../model/resource.ts";
import type { SecretRef } from "../model/secret.ts";

export function quoteEnvValue(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]*$/.test(value)) return value;
  // Inside double quotes systemd and dotenv parsers unescape \\ \" \$ \` and keep newlines literally.
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

function lines(env: Pick<EnvFile, "set" | "secret">, secret: (name: string, ref: SecretRef) => string): string {
  const out = ["# Managed by HostKit."];
  for (const k of Object.keys(env.set).sort()) out.push(`${k}=${quoteEnvValue(env.set[k]!)}`);
  for (const k of Object.keys(env.secret).sort()) out.push(`${k}=${quoteEnvValue(secret(k, env.secret[k]!))}`);
  return `${out.join("\n")}\n`;
}

export const SECRET_MASK = "(secret)";

/** The file with secret values masked: safe for plans, diffs and logs. */
export function renderEnvFileMasked(env: Pick<EnvFile, "set" | "secret">): string {
  return lines(env, (_k, ref) => `${SECRET_MASK} $${ref.$secret.env}`);
}

/** The real file. `resolve` returns the secret's value (throws when missing). */
export function renderEnvFile(env: Pick<EnvFile, "set" | "secret">, resolve: (ref: SecretRef, key: string) => string): string {
  return lines(env, (k, ref) => resolve(ref, k));
}

/** Parse a dotenv file back (for drift of `set` entries); handles quoted multi-line values. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf("\n", i);
    const lineEnd = nl < 0 ? text.length : nl;
    const line = text.slice(i, lineEnd);
    const trimmed = line.trim();
    const eq = line.indexOf("=");
    if (!trimmed || trimmed.startsWith("#") || eq <= 0) {
      i = lineEnd + 1;
      continue;
    }
    const key = line.slice(0, eq).replace(/^\s*export\s+/, "").trim();
    let j = i + eq + 1;
    const q = text[j];
    if (q === '"' || q === "'") {
      let value = "";
      j++;
      while (j < text.length && text[j] !== q) {
        if (q === '"' && text[j] === "\\" && j + 1 < text.length) {
          const c = text[j + 1]!;
          value += '"\\$`'.includes(c) ? c : `\\${c}`;
          j += 2;
        } else value += text[j++];
      }
      out[key] = value;
      const after = text.indexOf("\n", j);
      i = after < 0 ? text.length : after + 1;
    } else {
      out[key] = text.slice(j, lineEnd).trim();
      i = lineEnd + 1;
    }
  }
  return out;
}
