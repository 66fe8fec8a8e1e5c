import { describe, expect, it } from "vitest";
import { IdentityMemo } from "../../../src/util/identity-memo.js";

describe("IdentityMemo", () => {
  it("makes a value once per combination of the same objects", () => {
    const memo = new IdentityMemo<{ made: number }>();
    const [a, b] = [["x"], ["y"]];
    let made = 0;
    const make = () => ({ made: ++made });
    const first = memo.get([a, b, undefined], make);
    expect(memo.get([a, b, undefined], make)).toBe(first);
    expect(made).toBe(1);
    // Another combination, or an equal list that is another object, is another value.
    expect(memo.get([a, b, null], make)).not.toBe(first);
    expect(memo.get([a, ["y"], undefined], make)).not.toBe(first);
    expect(memo.get([b, a, undefined], make)).not.toBe(first);
    expect(made).toBe(4);
  });

  it("keeps a value made as undefined", () => {
    const memo = new IdentityMemo<string | undefined>();
    let made = 0;
    const make = () => {
      made++;
      return undefined;
    };
    memo.get(["ns", null], make);
    memo.get(["ns", null], make);
    expect(made).toBe(1);
  });
});
