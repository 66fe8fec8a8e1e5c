import { expect, it } from "vitest";
import { groupBy } from "../../../src/util/group-by.js";

it("groups by key in first-seen order, each group in the items' order", () => {
  const groups = groupBy(["b1", "a1", "b2", "c1", "a2"], (s) => s[0]);
  expect([...groups]).toEqual([
    ["b", ["b1", "b2"]],
    ["a", ["a1", "a2"]],
    ["c", ["c1"]],
  ]);
});
