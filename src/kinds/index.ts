/** @deprecated the registry is src/kinds/registry.ts (kept while older branches merge). */
export { KINDS, kindOf, stepOf } from "./registry.ts";
