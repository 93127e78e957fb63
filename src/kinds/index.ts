/** The explicit registry of resource kinds. Adding a kind = one file + one line here. */
import type { Resource } from "../model/resource.ts";
import { account } from "./account.ts";
import { command } from "./command.ts";
import { directory } from "./directory.ts";
import { envFile } from "./env-file.ts";
import { file } from "./file.ts";
import type { Kind } from "./types.ts";
import { systemdService, systemdTimer } from "./unit-file.ts";

export const KINDS: Partial<Record<Resource["type"], Kind<any, any>>> = {
  account,
  directory,
  file,
  env_file: envFile,
  systemd_service: systemdService,
  systemd_timer: systemdTimer,
  command,
};

export function kindOf(type: string): Kind<any, any> | undefined {
  return KINDS[type as Resource["type"]];
}
