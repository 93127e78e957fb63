/** Render one resource to the text HostKit writes for it, or undefined for kinds with no file. */
import type { Resource } from "../model/resource.ts";
import { renderUnit } from "./systemd.ts";
import { renderEnvFileMasked } from "./dotenv.ts";

export function renderResource(r: Resource): string | undefined {
  switch (r.type) {
    case "systemd_service":
    case "systemd_timer":
      return renderUnit(r.sections);
    case "env_file":
      return renderEnvFileMasked(r);
    case "file":
      return r.content ?? Buffer.from(r.contentBase64 ?? "", "base64").toString("latin1");
    default:
      return undefined;
  }
}
