/** kubectl's table look: no borders, UPPERCASE headers, three spaces between columns, `<none>` for empty. */
import Table from "cli-table3";

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

/** Renders rows under headers; every line ends in a newline and carries no trailing spaces. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  noHeaders = false,
): string {
  // Like kubectl, no header line over nothing.
  if (rows.length === 0) return "";
  const table = new Table({
    chars: noBorders,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 3, compact: true },
  });
  if (!noHeaders) table.push(headers.map((h) => h.toUpperCase()));
  for (const row of rows) table.push(row.map((cell) => (cell === "" ? "<none>" : cell)));
  return `${table
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")}\n`;
}
