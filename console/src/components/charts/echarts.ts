// Apache ECharts as the console uses it: the core, and only the chart
// types and components the pages draw (issue 10: "imported per chart
// type"), with the SVG renderer.  Only the pages that draw charts import
// this module, so their chunk carries it and the public pages never load it.
import * as echarts from "echarts/core";
import { BarChart, PieChart, type BarSeriesOption, type PieSeriesOption } from "echarts/charts";
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  type AriaComponentOption,
  type GridComponentOption,
  type LegendComponentOption,
} from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

// No tooltip: every bar and slice says its number, the tables say all of
// them, and the tooltip's HTML layer costs each chart a layout at its start.
echarts.use([BarChart, PieChart, AriaComponent, GridComponent, LegendComponent, SVGRenderer]);

export type ChartOption = echarts.ComposeOption<
  | BarSeriesOption
  | PieSeriesOption
  | AriaComponentOption
  | GridComponentOption
  | LegendComponentOption
>;

export { echarts };
