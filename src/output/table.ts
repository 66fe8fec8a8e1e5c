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
/** kubectl's tabwriter makes a column at least 6 wide, its padding of 3 included. */
const minCellWidth = 3;
const colourCodes = /\u001b\[(?:\d*;){0,5}\d*m/g;
const printableAscii = /^[\x20-\x7e]*$/;
const none = "<none>";

/** Renders rows under headers; every line ends in a newline and carries no trailing spaces. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  noHeaders = false,
): string {
  return [...tablePieces(headers, () => rows, noHeaders)].join("");
}

/** Lines per piece of a long table: pieces of ~100 KB, written one after another. */
const linesPerPiece = 500;

/**
 * The same table in pieces. `rows` lists the rows anew at each call: a long table is read twice (its
 * column widths, then its lines) rather than held, so 150,000 rows cost no more memory than 500.
 */
export function* tablePieces(
  headers: readonly string[],
  rows: () => Iterable<readonly string[]>,
  noHeaders = false,
): Generator<string> {
  const header = noHeaders ? [] : [headers.map((h) => h.toUpperCase())];
  const columns = header[0]?.map(visibleWidth) ?? [];
  let count = 0;
  let multiline = false;
  const withNone = (row: readonly string[]) => row.map((cell) => (cell === "" ? none : atLeastMin(cell)));
  for (const row of rows()) {
    count++;
    withNone(row).forEach((cell, i) => {
      if (cell.includes("\n")) multiline = true;
      columns[i] = Math.max(columns[i] ?? 0, visibleWidth(cell));
    });
  }
  // Like kubectl, no header line over nothing.
  if (count === 0) return;
  if (count + header.length <= largeTable || multiline) {
    yield drawn([...header, ...Array.from(rows(), withNone)]);
    return;
  }
  const line = (cells: readonly string[]) => {
    let out = "";
    cells.forEach((cell, i) => {
      out += cell + " ".repeat(columns[i]! + paddingRight - visibleWidth(cell));
    });
    return `${out.trimEnd()}\n`;
  };
  let piece = header.map(line).join("");
  let lines = 0;
  for (const row of rows()) {
    piece += line(withNone(row));
    if (++lines % linesPerPiece === 0) {
      yield piece;
      piece = "";
    }
  }
  if (piece !== "") yield piece;
}

/** A cell narrower than a column may be, padded to it: the column is then as wide as kubectl's. */
function atLeastMin(cell: string): string {
  const width = visibleWidth(cell);
  return width >= minCellWidth || cell.includes("\n") ? cell : cell + " ".repeat(minCellWidth - width);
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
