import { Chalk } from "chalk";
import Table from "cli-table3";
import { describe, expect, it } from "vitest";
import { renderTable, tablePieces } from "../../../src/output/table.js";

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

  it("makes a column at least 6 wide, padding included, as kubectl's tabwriter does (seen without headers)", () => {
    const chalk = new Chalk({ level: 1 });
    const rows = [
      ["x", "y", "1"],
      ["zz", chalk.red("w"), "2"],
    ];
    expect(renderTable(["a", "b", "c"], rows, true)).toBe(`x     y     1\nzz    ${chalk.red("w")}     2\n`);
    const long = Array.from({ length: 300 }, () => rows[0]!);
    expect([...tablePieces(["a", "b", "c"], () => long, true)].join("")).toBe("x     y     1\n".repeat(300));
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

  it("a long table comes in pieces of 500 lines, its rows listed twice and never held", () => {
    let listings = 0;
    const rows = function* () {
      listings++;
      for (let i = 0; i < 1234; i++) yield [`ns-${i % 7}`, i === 999 ? "" : `pod-${i}`];
    };
    const pieces = [...tablePieces(["namespace", "name"], rows)];
    expect(listings).toBe(2);
    expect(pieces.map((p) => p.split("\n").length - 1)).toEqual([501, 500, 234]);
    expect(pieces[0]!.startsWith("NAMESPACE   NAME\nns-0        pod-0\n")).toBe(true);
    expect(pieces[1]).toContain("\nns-5        <none>\n");
    // Without headers the pieces still hold 500 lines each.
    const bare = [...tablePieces(["namespace", "name"], rows, true)];
    expect(bare.map((p) => p.split("\n").length - 1)).toEqual([500, 500, 234]);
    expect(bare[0]!.startsWith("ns-0   pod-0\n")).toBe(true);
  });

  it("no rows: nothing at all, not even the headers", () => {
    expect([...tablePieces(["a"], () => [])]).toEqual([]);
  });
});
