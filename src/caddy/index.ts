/**
 * The Caddy modules, for a `caddy_site` kind and the `hostkit/caddy` provider to import from one place
 * once the kind/provider contract (issue 9) settles. Nothing here registers a kind or a provider.
 */
export { parseSite, checkSites, checkFileName, checkSafePath, defaultFileName, siteSubject, SiteOptionsSchema } from "./site.ts";
export type { SiteOptions, MonitorOptions, HttpCheckOptions, CaddySite, SiteContext, SiteAddress, Encoding, Severity } from "./site.ts";
export { parseAddress } from "./address.ts";
export { renderSite, resolveUpstreams, mainCaddyfile, withoutImport, importLine, caddyToken, IMPORT_MARKER, DEFAULT_SITES_DIR, DEFAULT_MAIN, DEFAULT_LOG_DIR } from "./caddyfile.ts";
export type { ListenerMap, RenderOptions, MainCaddyfileOptions } from "./caddyfile.ts";
export { validateArgv, reloadArgv, reloadDiagnosticsArgv, caddyReloadArgv, parseCaddyError, activation, runActivation } from "./commands.ts";
export type { CaddyCommandOptions, FileChange, Step, Activation, ActivationOptions, ActivationIO, ActivationResult } from "./commands.ts";
