/** Render one resource to the text HostKit writes for it (its kind's `render`), or undefined for kinds with no file. */
import type { Resource } from "../model/resource.ts";
import { kindOf } from "../kinds/registry.ts";

export function renderResource(r: Resource): string | undefined {
  return kindOf(r.type)?.render?.(r);
}
