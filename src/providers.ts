/**
 * Built-in provider modules, served to infra files by name (src/load.ts) and typed for editors by
 * `hostkit init` (build/dsl-types.ts). Adding a built-in provider: one line here, plus one line for
 * its kinds in src/kinds/registry.ts. A user's own provider needs neither (see examples/providers/).
 */
import * as caddy from "./caddy/public.ts";

export const PROVIDER_MODULES: Record<string, { exports: Record<string, unknown>; types: string }> = {
  "hostkit/caddy": { exports: caddy, types: "src/caddy/public.ts" },
};
