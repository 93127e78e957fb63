/**
 * The toys conventions as a global, for `hostkit dump --require examples/conventions/toys-infra-global.ts …`
 * (the seed's `mix host_kit.dump --require toys_infra.exs`). `--require` simply imports this file
 * before the infra file; a plain `import` (see project-conventions.ts) is the better habit.
 */
import * as toysInfra from "./toys-infra.ts";

declare global {
  var ToysInfra: typeof toysInfra;
}
globalThis.ToysInfra = toysInfra;
