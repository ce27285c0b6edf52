import type { RouteLocationRaw } from "vue-router";

// A chart's table alternative: the same numbers, one row per bar or
// slice, each cell a number or a text, a link when it leads somewhere (a
// drill-down, a filtered list).
export interface Cell {
  text: string | number;
  to?: RouteLocationRaw;
  /** What the link does, for a screen reader when `text` alone is a number. */
  label?: string;
}

export interface Row {
  key: string;
  head: Cell;
  cells: Cell[];
}
