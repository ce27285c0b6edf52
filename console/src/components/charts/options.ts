// The options of the console's charts, built from plain numbers (no
// ECharts import here: the pages' pure logic and its tests stay light).
// Every chart: no animation (it is read, not watched; WCAG 2.3.3), aria on
// with a description that says the numbers, colours dark enough against
// white (WCAG 1.4.11, 3:1 and more).
import type { ChartOption } from "./echarts";

export const COLORS = ["#1d4ed8", "#b45309", "#a3001b", "#047857", "#6d28d9", "#0e7490"];
const INK = "#1f2329";
const MUTED = "#4e5969";

export interface Series {
  name: string;
  values: number[];
  color?: string;
}

/** "标题：甲 3，乙 2。" — what a screen reader says for a chart. */
export function describe(title: string, labels: string[], series: Series[]): string {
  const parts = labels.map((l, i) =>
    series.length === 1
      ? `${l} ${series[0].values[i] ?? 0}`
      : `${l}：${series.map((s) => `${s.name} ${s.values[i] ?? 0}`).join("、")}`,
  );
  return `${title}：${parts.length ? parts.join(series.length === 1 ? "，" : "；") : "0"}。`;
}

/** Bars, one per label (several series side by side); `horizontal` puts
 *  the labels on the left, for long names. */
export function barOption(
  title: string,
  labels: string[],
  series: Series[],
  { horizontal = false }: { horizontal?: boolean } = {},
): ChartOption {
  const category = {
    type: "category" as const,
    data: labels,
    inverse: horizontal, // the first label on top
    axisLabel: { color: INK, interval: 0, rotate: !horizontal && labels.length > 6 ? 30 : 0 },
  };
  const value = {
    type: "value" as const,
    minInterval: 1,
    axisLabel: { color: MUTED },
  };
  return {
    animation: false,
    aria: { enabled: true, label: { description: describe(title, labels, series) } },
    color: COLORS,
    legend: series.length > 1 ? { top: 0, textStyle: { color: INK } } : { show: false },
    grid: { left: 8, right: 24, top: series.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? category : value,
    series: series.map((s, i) => ({
      type: "bar" as const,
      name: s.name,
      data: s.values,
      itemStyle: { color: s.color ?? COLORS[i % COLORS.length] },
      // The numbers on the bars, but no row of zeros along the axis.
      label: {
        show: true,
        position: horizontal ? ("right" as const) : ("top" as const),
        color: INK,
        formatter: (p: { value?: unknown }) => (p.value ? String(p.value) : ""),
      },
      barMaxWidth: 36,
    })),
  };
}

/** A pie of a few parts, each labelled with its name and number. */
export function pieOption(title: string, labels: string[], values: number[]): ChartOption {
  return {
    animation: false,
    aria: {
      enabled: true,
      label: { description: describe(title, labels, [{ name: title, values }]) },
    },
    color: COLORS,
    legend: { bottom: 0, textStyle: { color: INK } },
    series: [
      {
        type: "pie",
        name: title,
        radius: ["35%", "65%"],
        center: ["50%", "45%"],
        data: labels.map((name, i) => ({ name, value: values[i] ?? 0 })),
        label: { color: INK, formatter: "{b}：{c}" },
      },
    ],
  };
}

/** The height that gives each of `n` horizontal bars room. */
export function heightFor(n: number, min = 180): number {
  return Math.max(min, 40 + n * 30);
}
