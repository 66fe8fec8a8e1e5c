import { describe, expect, it } from "vitest";
import { LoginTurns } from "../../../../src/adapters/http/login-turns.js";

/** Enters `turns` as `name`, noting when its turn came; its `settled` is kept to be called by the test. */
function enter(turns: LoginTurns, name: string, order: string[], settle: Map<string, (a: boolean) => void>) {
  return turns.enter().then((settled) => {
    order.push(name);
    settle.set(name, settled);
  });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("LoginTurns", () => {
  it("the first goes alone; after an answer the others go at once", async () => {
    const turns = new LoginTurns();
    const order: string[] = [];
    const settle = new Map<string, (a: boolean) => void>();
    for (const name of ["a", "b", "c"]) void enter(turns, name, order, settle);
    await tick();
    expect(order).toEqual(["a"]);
    settle.get("a")!(true);
    await tick();
    expect(order).toEqual(["a", "b", "c"]);
    void enter(turns, "d", order, settle);
    await tick();
    expect(order).toEqual(["a", "b", "c", "d"]);
  });

  it("after no answer (the server not reached) the next goes alone, as the first did", async () => {
    const turns = new LoginTurns();
    const order: string[] = [];
    const settle = new Map<string, (a: boolean) => void>();
    for (const name of ["a", "b", "c"]) void enter(turns, name, order, settle);
    await tick();
    settle.get("a")!(false);
    await tick();
    expect(order).toEqual(["a", "b"]);
    settle.get("b")!(true);
    await tick();
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("with a limit, the others go on when the first answer is that late", async () => {
    const turns = new LoginTurns(10);
    const order: string[] = [];
    const settle = new Map<string, (a: boolean) => void>();
    for (const name of ["a", "b"]) void enter(turns, name, order, settle);
    await tick();
    expect(order).toEqual(["a"]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(order).toEqual(["a", "b"]);
  });
});
