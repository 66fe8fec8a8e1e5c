/** kubectl's table look: no borders, UPPERCASE headers, three spaces between columns, `<none>` for empty. */
import Table from "cli-table3";
import stringWidth from "string-width";

const noBorders = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "",
};

/**
 * cli-table3 lays a table out in time that grows with the square of its cells, and measures each cell
 * many times over: 15,000 rows took over a minute. Past this many rows the lines are padded here, to the
 * column widths cli-table3 would choose (the visible width of the widest cell, colour codes left out,
 * plus the padding), which gives the same lines; a cell of several lines keeps cli-table3.
 */
const largeTable = 200;
const paddingRight = 3;
const colourCodes = /\u001b\[(?:\d*;){0,5}\d*m/g;
const printableAscii = /^[\x20-\x7e]*$/;

/** Renders rows under headers; every line ends in a newline and carries no trailing spaces. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  noHeaders = false,
): string {
  // Like kubectl, no header line over nothing.
  if (rows.length === 0) return "";
  const lines = [
    ...(noHeaders ? [] : [headers.map((h) => h.toUpperCase())]),
    ...rows.map((row) => row.map((cell) => (cell === "" ? "<none>" : cell))),
  ];
  if (lines.length <= largeTable || lines.some((line) => line.some((cell) => cell.includes("\n")))) {
    return drawn(lines);
  }
  const widths = lines.map((line) => line.map(visibleWidth));
  const columns: number[] = [];
  for (const line of widths) {
    line.forEach((w, i) => {
      columns[i] = Math.max(columns[i] ?? 0, w);
    });
  }
  let text = "";
  lines.forEach((line, row) => {
    let out = "";
    line.forEach((cell, i) => {
      out += cell + " ".repeat(columns[i]! + paddingRight - widths[row]![i]!);
    });
    text += `${out.trimEnd()}\n`;
  });
  return text;
}

function drawn(lines: readonly (readonly string[])[]): string {
  const table = new Table({
    chars: noBorders,
    style: { head: [], border: [], "padding-left": 0, "padding-right": paddingRight, compact: true },
  });
  for (const line of lines) table.push([...line]);
  return `${table
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")}\n`;
}

function visibleWidth(cell: string): number {
  const text = cell.replace(colourCodes, "");
  return printableAscii.test(text) ? text.length : stringWidth(text);
}
