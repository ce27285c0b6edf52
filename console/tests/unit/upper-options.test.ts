import { describe, expect, it } from "vitest";
import { barOption, describe as say, heightFor, pieOption } from "../../src/components/charts/options";

describe("the charts' options", () => {
  it("say their numbers to a screen reader", () => {
    expect(say("案件阶段", ["调查中", "已结案"], [{ name: "数量", values: [2, 1] }])).toBe(
      "案件阶段：调查中 2，已结案 1。",
    );
    expect(
      say("期限", ["平城区", "云冈区"], [
        { name: "期限临近", values: [1, 0] },
        { name: "已逾期", values: [2, 0] },
      ]),
    ).toBe("期限：平城区：期限临近 1、已逾期 2；云冈区：期限临近 0、已逾期 0。");
    expect(say("空", [], [{ name: "数量", values: [] }])).toBe("空：0。");
  });
  it("draw bars without animation, aria on, one series per group", () => {
    const o = barOption("期限", ["平城区", "云冈区"], [
      { name: "期限临近", values: [1, 0] },
      { name: "已逾期", values: [2, 0], color: "#c5221f" },
    ]);
    expect(o.animation).toBe(false);
    expect(o.aria).toMatchObject({ enabled: true });
    const series = o.series as { data: number[]; itemStyle: { color: string } }[];
    expect(series.map((s) => s.data)).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect(series[1].itemStyle.color).toBe("#c5221f");
    const label = (series[0] as unknown as { label: { formatter: (p: { value: number }) => string } }).label;
    expect([label.formatter({ value: 2 }), label.formatter({ value: 0 })]).toEqual(["2", ""]);
    expect((o.xAxis as { type: string }).type).toBe("category");
    const h = barOption("阶段", ["调查中"], [{ name: "数量", values: [3] }], { horizontal: true });
    expect((h.yAxis as { type: string; data: string[] }).data).toEqual(["调查中"]);
    expect(h.legend).toEqual({ show: false });
  });
  it("draw a pie of named parts", () => {
    const o = pieOption("类别", ["行政", "民事"], [4, 1]);
    const s = (o.series as { data: { name: string; value: number }[] }[])[0];
    expect(s.data).toEqual([
      { name: "行政", value: 4 },
      { name: "民事", value: 1 },
    ]);
  });
  it("give horizontal bars room", () => {
    expect(heightFor(1)).toBe(180);
    expect(heightFor(10)).toBe(340);
  });
});
