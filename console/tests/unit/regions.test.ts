import { describe, expect, it } from "vitest";
import type { Region } from "../../src/api";
import { regionTree } from "../../src/regions";

const r = (code: string, parent: string | null, level: string, name: string): Region => ({
  code, parent, level, name_zh: name, procuratorate_zh: name + "人民检察院",
});

describe("regionTree", () => {
  it("builds province › city › county under the root, in the list's order", () => {
    const tree = regionTree([
      r("000000", null, "supreme", "中华人民共和国"),
      r("140000", "000000", "province", "山西省"),
      r("140200", "140000", "city", "大同市"),
      r("140213", "140200", "county", "平城区"),
      r("140214", "140200", "county", "云冈区"),
      r("140100", "140000", "city", "太原市"),
    ]);
    expect(tree).toEqual([
      {
        value: "140000", label: "山西省", children: [
          { value: "140200", label: "大同市", children: [
            { value: "140213", label: "平城区" }, { value: "140214", label: "云冈区" }] },
          { value: "140100", label: "太原市" },
        ],
      },
    ]);
  });

  it("is empty without a root, and stops at a cycle in the data", () => {
    expect(regionTree([r("140000", "000000", "province", "山西省")])).toEqual([]);
    const tree = regionTree([
      r("000000", null, "supreme", "中华人民共和国"),
      r("140000", "000000", "province", "山西省"),
      r("140200", "140200", "city", "自己的上级"),
    ]);
    expect(tree).toEqual([{ value: "140000", label: "山西省" }]);
  });
});
