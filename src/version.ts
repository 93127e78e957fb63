/** Version and the git commit the binary was built from (injected by build/compile.ts). */
import pkg from "../package.json" with { type: "json" };

declare const HOSTKIT_BUILD_COMMIT: string | undefined;

export const VERSION: string = pkg.version;
export const COMMIT: string = typeof HOSTKIT_BUILD_COMMIT === "string" ? HOSTKIT_BUILD_COMMIT : "source";
