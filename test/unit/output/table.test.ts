import { describe, expect, it } from "vitest";
import { renderTable } from "../../../src/output/table.js";

describe("renderTable", () => {
  it("pads columns by three spaces and trims line ends", () => {
    expect(
      renderTable(
        ["a", "bb"],
        [
          ["xxxx", ""],
          ["y", "z"],
        ],
      ),
    ).toBe("A      BB\nxxxx   <none>\ny      z\n");
  });
});
