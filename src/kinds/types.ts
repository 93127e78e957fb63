/** @deprecated moved to src/model/kind.ts (kept while older branches merge). */
export * from "../model/kind.ts";
