/** A table from rows and column definitions: cells are built with h(), so data is text. */
import { h, type Child } from "./h.js";

export interface Column<Row> {
  title: string;
  cell(row: Row): Child;
}

export function table<Row>(columns: readonly Column<Row>[], rows: readonly Row[], empty = "Nothing here yet."): HTMLElement {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, columns.map((column) => h("th", { scope: "col" }, column.title)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((column) => h("td", {}, column.cell(row)))))),
  );
}
