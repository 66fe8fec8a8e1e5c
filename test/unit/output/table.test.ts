import { Chalk } from "chalk";
import Table from "cli-table3";
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

  it("a long table, padded here, has the lines cli-table3 draws: colours, wide characters, the widest cell anywhere", () => {
    const chalk = new Chalk({ level: 1 });
    const rows = Array.from({ length: 1234 }, (_, i) => [
      `ns-${i % 7}`,
      i === 1000 ? "a-pod-name-far-down-the-table-that-is-the-widest" : `pod-${i}`,
      i % 3 === 0 ? chalk.red("stale") : chalk.green("current"),
      i === 777 ? "画像-イメージ✓" : i % 5 === 0 ? "" : `reg.example.com/app:${i}`,
    ]);
    const oneTable = new Table({
      chars: Object.fromEntries(
        ["top", "top-mid", "top-left", "top-right", "bottom", "bottom-mid", "bottom-left", "bottom-right"]
          .concat(["left", "left-mid", "mid", "mid-mid", "right", "right-mid", "middle"])
          .map((c) => [c, ""]),
      ),
      style: { head: [], border: [], "padding-left": 0, "padding-right": 3, compact: true },
    });
    oneTable.push(["NAMESPACE", "NAME", "STATUS", "IMAGE"]);
    for (const row of rows) oneTable.push(row.map((c) => (c === "" ? "<none>" : c)));
    const expected = `${oneTable
      .toString()
      .split("\n")
      .map((l) => l.trimEnd())
      .join("\n")}\n`;
    expect(renderTable(["namespace", "name", "status", "image"], rows)).toBe(expected);
  });
});
