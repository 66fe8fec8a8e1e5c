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
 * cli-table3 lays a table out in time that grows with the square of its cells: 15,000 rows took minutes.
 * Past this many rows the table is drawn in slices, every slice with the same column widths, measured
 * the way cli-table3 measures them (visible width of the text without colour codes), so the lines are
 * the same as one table's.
 */
const rowsPerSlice = 200;
const paddingRight = 3;
const colourCodes = /\u001b\[(?:\d*;){0,5}\d*m/g;

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
  if (lines.length <= rowsPerSlice) return drawn(lines);
  const widths = columnWidths(lines);
  let text = "";
  for (let i = 0; i < lines.length; i += rowsPerSlice)
    text += drawn(lines.slice(i, i + rowsPerSlice), widths);
  return text;
}

function drawn(lines: readonly (readonly string[])[], colWidths?: number[]): string {
  const table = new Table({
    chars: noBorders,
    style: { head: [], border: [], "padding-left": 0, "padding-right": paddingRight, compact: true },
    ...(colWidths ? { colWidths } : {}),
  });
  for (const line of lines) table.push([...line]);
  return `${table
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")}\n`;
}

function columnWidths(lines: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const line of lines) {
    line.forEach((cell, column) => {
      const width = Math.max(
        ...cell
          .replace(colourCodes, "")
          .split("\n")
          .map((part) => stringWidth(part)),
      );
      widths[column] = Math.max(widths[column] ?? 0, width + paddingRight);
    });
  }
  return widths;
}
