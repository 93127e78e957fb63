/**
 * What infra files import from "hostkit/caddy": the provider and its declarations.
 * @module
 */
export { caddy, type CaddySettings, type CaddySiteDecl } from "./provider.ts";
export type { SiteOptions, MonitorOptions, HttpCheckOptions, Encoding, Severity } from "./site.ts";
