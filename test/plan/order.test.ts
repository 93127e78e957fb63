/** dependencyOrder: requires edges first, else declaration order; a cycle is one diagnostic naming it. */
import { expect, test } from "bun:test";
import { dependencyOrder } from "../../src/plan/order.ts";
import { HostKitError } from "../../src/model/errors.ts";

const n = (key: string, ...requires: string[]) => ({ key, requires, source: { file: "infra.ts", line: key.length } });

test("dependencies first, otherwise the order given (stable)", () => {
  const got = dependencyOrder([n("file:/srv/a/x", "directory:/srv/a", "account:a"), n("unit:u"), n("directory:/srv/a", "account:a"), n("account:a"), n("file:/etc/z")]);
  expect(got.map((x) => x.key)).toEqual(["unit:u", "account:a", "directory:/srv/a", "file:/srv/a/x", "file:/etc/z"]);
  // Unknown keys are not edges (compile reports explicit unknown ones).
  expect(dependencyOrder([n("b", "nope"), n("a")]).map((x) => x.key)).toEqual(["b", "a"]);
});

test("a cycle is one error naming the resources in it and where they are declared", () => {
  let err: unknown;
  try {
    dependencyOrder([n("x"), n("a", "b"), n("b", "c"), n("c", "a"), n("d", "a")]);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(HostKitError);
  expect((err as HostKitError).message).toBe("infra.ts:1: a: dependency cycle: a → b → c → a\n  hint: each requires the next; declared at a infra.ts:1, b infra.ts:1, c infra.ts:1");
});

test("20,000 nodes in a chain declared backwards sort without recursion", () => {
  const nodes = Array.from({ length: 20_000 }, (_, i) => n(`k${i}`, ...(i < 19_999 ? [`k${i + 1}`] : [])));
  const got = dependencyOrder(nodes);
  expect(got[0]!.key).toBe("k19999");
  expect(got.at(-1)!.key).toBe("k0");
});
