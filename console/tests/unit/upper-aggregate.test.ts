import { describe, expect, it } from "vitest";
import {
  byField,
  byKind,
  byStage,
  filterCases,
  latest,
  pageAll,
  pathTo,
  restrict,
  scopePrefix,
  totalOf,
  unitOf,
  unitRows,
  unitsOf,
  within,
  type CaseItem,
  type ReviewItem,
  type ScopeData,
} from "../../src/pages/upper/aggregate";

let n = 0;
function kase(procuratorate: string, state: string, more: Partial<CaseItem> = {}): CaseItem {
  n++;
  return {
    id: `c${n}`,
    kind: "administrative",
    procuratorate,
    field_code: "ecology",
    state,
    title: `案${n}`,
    opened_at: `2026-03-0${(n % 9) + 1}T10:00:00+08:00`,
    updated_at: `2026-03-0${(n % 9) + 1}T12:00:00+08:00`,
    next_due: null,
    ...more,
  };
}
function review(procuratorate: string, routed_at = "2026-03-01T09:00:00+08:00"): ReviewItem {
  n++;
  return {
    clue_id: `r${n}`,
    state: "under_review",
    procuratorate,
    field_code: "ecology",
    priority: 50,
    assignee: null,
    routed_at,
    updated_at: routed_at,
  };
}

// 大同市 (140200) with 平城区 (140213) and 云冈区 (140214); 太原市 (140100)
// with 小店区 (140105), all in 山西省 (140000).
const pc1 = kase("140213", "investigating");
const pc2 = kase("140213", "closed", { kind: "civil", field_code: "food_drug" });
const pc3 = kase("140213", "awaiting_reply");
const yg1 = kase("140214", "investigating", { field_code: "food_drug" });
const dt1 = kase("140200", "suit_filed");
const xd1 = kase("140105", "terminated", { kind: "civil" });
const data: ScopeData = {
  cases: [pc1, pc2, pc3, yg1, dt1, xd1],
  dueSoon: [pc1, yg1],
  overdue: [pc3, pc3, dt1], // pc3 twice: a page boundary moved
  reviews: [review("140213"), review("140213"), review("140214"), review("140200"), review("140105")],
};

describe("the scope rule", () => {
  it("gives each level its prefix, as gy_scope_prefix does", () => {
    expect(scopePrefix("140000")).toBe("14");
    expect(scopePrefix("140200")).toBe("1402");
    expect(scopePrefix("140213")).toBe("140213");
    expect(scopePrefix("000000")).toBe("");
  });
  it("says what lies within a procuratorate", () => {
    expect(within("140213", "140200")).toBe(true);
    expect(within("140200", "140200")).toBe(true);
    expect(within("140105", "140200")).toBe(false);
    expect(within("140200", "140213")).toBe(false);
    expect(within("140105", "140000")).toBe(true);
  });
  it("counts a code for the unit directly below the view", () => {
    expect(unitOf("140213", "140200")).toBe("140213");
    expect(unitOf("140200", "140200")).toBe("140200");
    expect(unitOf("140213", "140000")).toBe("140200");
    expect(unitOf("140000", "140000")).toBe("140000");
    expect(unitOf("140213", "000000")).toBe("140000");
    expect(unitOf("140213", "140213")).toBe("140213");
    expect(unitOf("140105", "140200")).toBeNull();
  });
  it("draws the trail of a drill-down from the user's own procuratorate", () => {
    expect(pathTo("140000", "140213")).toEqual(["140000", "140200", "140213"]);
    expect(pathTo("140200", "140213")).toEqual(["140200", "140213"]);
    expect(pathTo("140200", "140200")).toEqual(["140200"]);
    expect(pathTo("140200", "140105")).toEqual(["140200"]);
  });
});

describe("the units of a view", () => {
  it("lists the view, its children, then codes only the data names", () => {
    const d = { ...data, cases: [...data.cases, kase("140215", "opened")] };
    expect(unitsOf("140200", ["140213", "140214"], d)).toEqual(["140200", "140213", "140214", "140215"]);
  });
  it("keeps children with nothing (a quiet county is still shown)", () => {
    expect(unitsOf("140200", ["140212", "140213", "140214"], data)).toEqual([
      "140200",
      "140212",
      "140213",
      "140214",
    ]);
  });
  it("a province's units are its cities", () => {
    expect(unitsOf("140000", ["140100", "140200"], data)).toEqual(["140000", "140100", "140200"]);
  });
});

describe("counting", () => {
  const city = restrict(data, "140200");
  it("restricts to the view's scope", () => {
    expect(city.cases.map((c) => c.id)).toEqual([pc1.id, pc2.id, pc3.id, yg1.id, dt1.id]);
    expect(city.reviews).toHaveLength(4);
  });
  it("counts cases by stage in the machines' order", () => {
    expect(byStage(city.cases)).toEqual([
      { key: "investigating", count: 2 },
      { key: "awaiting_reply", count: 1 },
      { key: "suit_filed", count: 1 },
      { key: "closed", count: 1 },
    ]);
    expect(byStage([kase("140213", "zzz_new"), kase("140213", "opened")]).map((x) => x.key)).toEqual([
      "opened",
      "zzz_new",
    ]);
  });
  it("counts cases by field, most first", () => {
    expect(byField(city.cases)).toEqual([
      { key: "ecology", count: 3 },
      { key: "food_drug", count: 2 },
    ]);
  });
  it("counts administrative and civil, both always", () => {
    expect(byKind(city.cases)).toEqual([
      { key: "administrative", count: 4 },
      { key: "civil", count: 1 },
    ]);
    expect(byKind([])).toEqual([
      { key: "administrative", count: 0 },
      { key: "civil", count: 0 },
    ]);
  });
  it("makes one row per unit, each case once per queue", () => {
    const rows = unitRows("140200", ["140200", "140212", "140213", "140214"], city);
    expect(rows).toEqual([
      { unit: "140200", reviews: 1, open: 1, cases: 1, dueSoon: 0, overdue: 1 },
      { unit: "140212", reviews: 0, open: 0, cases: 0, dueSoon: 0, overdue: 0 },
      { unit: "140213", reviews: 2, open: 2, cases: 3, dueSoon: 1, overdue: 1 },
      { unit: "140214", reviews: 1, open: 1, cases: 1, dueSoon: 1, overdue: 0 },
    ]);
    expect(totalOf(rows)).toEqual({ reviews: 4, open: 4, cases: 5, dueSoon: 2, overdue: 2 });
  });
  it("rolls a province's counties up into their cities", () => {
    const rows = unitRows("140000", ["140000", "140100", "140200"], data);
    expect(rows.map((r) => [r.unit, r.cases, r.reviews])).toEqual([
      ["140000", 0, 0],
      ["140100", 1, 1],
      ["140200", 5, 4],
    ]);
  });
});

describe("the table of cases", () => {
  const county = restrict(data, "140213");
  it("filters by stage, field, kind and queue", () => {
    expect(filterCases(county, {}).map((c) => c.id)).toEqual([pc1.id, pc2.id, pc3.id]);
    expect(filterCases(county, { stage: "investigating" }).map((c) => c.id)).toEqual([pc1.id]);
    expect(filterCases(county, { field: "food_drug" }).map((c) => c.id)).toEqual([pc2.id]);
    expect(filterCases(county, { kind: "civil" }).map((c) => c.id)).toEqual([pc2.id]);
    expect(filterCases(county, { queue: "overdue" }).map((c) => c.id)).toEqual([pc3.id]);
    expect(filterCases(county, { queue: "due_soon", stage: "closed" })).toEqual([]);
  });
  it("picks the newest items", () => {
    const a = review("140213", "2026-03-01T09:00:00+08:00");
    const b = review("140213", "2026-03-03T09:00:00+08:00");
    const c = review("140213", "2026-03-02T01:00:00Z");
    expect(latest([a, b, c], (x) => x.routed_at, 2)).toEqual([b, c]);
  });
});

describe("pageAll", () => {
  it("follows next until the last page and reports progress", async () => {
    const pages: Record<string, { items: number[]; next: string | null }> = {
      start: { items: [1, 2], next: "a" },
      a: { items: [3, 4], next: "b" },
      b: { items: [5], next: null },
    };
    const asked: (string | null)[] = [];
    const seen: number[] = [];
    const all = await pageAll(
      async (after) => {
        asked.push(after);
        return pages[after ?? "start"];
      },
      (count) => seen.push(count),
    );
    expect(all).toEqual([1, 2, 3, 4, 5]);
    expect(asked).toEqual([null, "a", "b"]);
    expect(seen).toEqual([2, 4, 5]);
  });
  it("stops at the page limit", async () => {
    const all = await pageAll(async () => ({ items: [1], next: "again" }), undefined, 3);
    expect(all).toEqual([1, 1, 1]);
  });
});
