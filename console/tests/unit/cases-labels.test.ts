import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/api";
import {
  beijingDayPlus,
  beijingInput,
  changeText,
  checkValue,
  deadlineStatus,
  dueText,
  earliestHearingDay,
  errorFor,
  eventLabel,
  hex,
  inProcuratorate,
  listFilters,
  measuresFor,
  reasonText,
  stateLabel,
} from "../../src/components/cases/logic";
import type { Deadline, Measure } from "../../src/components/cases/caseApi";

const base = {
  id: "d", rule: "organ_reply", name_zh: "行政机关回复", paused: false, provisional: false,
  settled_at: null, missed_at: null, due_at: "2026-12-01T16:00:00Z", warn_at: "2026-11-26T16:00:00Z",
  last_day: "2026-12-01", uncovered_year: null,
} as unknown as Deadline;

describe("deadline labels", () => {
  it("says the due day, provisional or paused", () => {
    expect(dueText(base)).toBe("截止 2026-12-01");
    expect(dueText({ ...base, provisional: true })).toBe("截止 2026-12-01（暂定）");
    expect(dueText({ ...base, paused: true, last_day: null })).toBe("已暂停");
  });
  it("places a deadline in time", () => {
    expect(deadlineStatus(base, Date.parse("2026-11-20T00:00:00Z"))).toBe("open");
    expect(deadlineStatus(base, Date.parse("2026-11-27T00:00:00Z"))).toBe("due_soon");
    expect(deadlineStatus(base, Date.parse("2026-12-02T00:00:00Z"))).toBe("overdue");
    expect(deadlineStatus({ ...base, paused: true, due_at: null }, 0)).toBe("paused");
    expect(deadlineStatus({ ...base, settled_at: "x" }, 0)).toBe("settled");
    expect(deadlineStatus({ ...base, missed_at: "x" }, 0)).toBe("missed");
  });
  it("says what a step did to each deadline", () => {
    expect(changeText({ id: "1", rule: "organ_reply", name_zh: "行政机关回复", change: "started",
      paused: false, last_day: "2027-01-29", provisional: false })).toBe("新期限：行政机关回复 截止 2027-01-29");
    expect(changeText({ id: "1", rule: "x", name_zh: null, change: "started", last_day: "2028-02-29",
      provisional: true })).toBe("新期限：x 截止 2028-02-29（暂定）");
    expect(changeText({ id: "1", rule: "x", name_zh: "调查", change: "settled" })).toBe("期限完成：调查");
    expect(changeText({ id: "1", rule: "x", name_zh: "调查", change: "moved", paused: true }))
      .toBe("期限暂停：调查");
  });
  it("says why a day moved", () => {
    expect(reasonText({ reason: "extension", from: "2026-02-28", to: "2026-03-28", count: 1,
      unit: "months", authority: "chief_prosecutor" })).toBe("延长 1个月：2026-02-28 → 2026-03-28（检察长批准）");
    expect(reasonText({ reason: "suspended", from: "2026-03-28", to: "2026-03-31", days: 3 }))
      .toBe("中止 3 天不计入：2026-03-28 → 2026-03-31");
    expect(reasonText({ reason: "rest_day", from: "2026-10-03", to: "2026-10-08", name: "国庆节" }))
      .toBe("2026-10-03 为休息日（国庆节），顺延至 2026-10-08");
    expect(reasonText({ reason: "calendar_reload", from: "2027-01-01", to: "2027-01-04" }))
      .toBe("节假日安排更新：2027-01-01 → 2027-01-04");
  });
  it("names states and events in Chinese, codes it does not know as they are", () => {
    expect(stateLabel("awaiting_reply")).toBe("等待回复");
    expect(eventLabel("issue_suggestion")).toBe("发出检察建议");
    expect(eventLabel("extend_period")).toBe("延长期限");
    expect(eventLabel("new_event")).toBe("new_event");
  });
});

describe("impact values", () => {
  it("takes decimal strings of the measure's scale, greater than zero", () => {
    expect(checkValue("1250.50", 2)).toBeNull();
    expect(checkValue("12.0", 0)).toBeNull(); // trailing zeros dropped
    expect(checkValue("3", 0)).toBeNull();
    expect(checkValue("1.234", 2)).toBe("这个指标最多 2 位小数。");
    expect(checkValue("1.5", 0)).toBe("这个指标只能填整数。");
    expect(checkValue("0", 2)).toMatch(/大于 0/);
    expect(checkValue("0.00", 2)).toMatch(/大于 0/);
    expect(checkValue("-1", 2)).toMatch(/大于 0/);
    expect(checkValue("1e3", 2)).toMatch(/大于 0/);
    expect(checkValue("1234567890123456", 2)).toMatch(/15 位/);
    expect(checkValue("000000000000000001", 0)).toBeNull();
  });
  it("offers the measures of the case's field", () => {
    const m = (code: string, fields: string) => ({ code, fields }) as Measure;
    const list = [m("a", "*"), m("b", "ecology|state_land"), m("c", "minors")];
    expect(measuresFor(list, "ecology").map((x) => x.code)).toEqual(["a", "b"]);
    expect(measuresFor(list, "minors").map((x) => x.code)).toEqual(["a", "c"]);
  });
});

describe("Beijing times in forms", () => {
  it("reads a datetime-local value as Beijing time", () => {
    expect(beijingInput("2026-10-08T09:30")).toBe("2026-10-08T09:30:00+08:00");
    expect(beijingInput("2026-10-08T09:30:15")).toBe("2026-10-08T09:30:15+08:00");
    expect(beijingInput("")).toBeNull();
  });
  it("counts the hearing's three whole days of notice from the Beijing day", () => {
    // 1 October 09:00 Beijing: from 5 October; 23:59 too; 2 October 00:00: from 6 October
    expect(earliestHearingDay(Date.parse("2026-10-01T09:00:00+08:00"))).toBe("2026-10-05");
    expect(earliestHearingDay(Date.parse("2026-10-01T23:59:00+08:00"))).toBe("2026-10-05");
    expect(earliestHearingDay(Date.parse("2026-10-02T00:00:00+08:00"))).toBe("2026-10-06");
    expect(beijingDayPlus(Date.parse("2026-12-31T16:30:00Z"), 0)).toBe("2027-01-01");
  });
  it("writes a digest in lower-case hex", () => {
    expect(hex(new Uint8Array([0, 15, 255]).buffer)).toBe("000fff");
  });
});

describe("the list's query", () => {
  it("keeps the filters it knows, drops the rest", () => {
    expect(listFilters({ queue: "overdue", procuratorate: "140213", stage: "investigating", kind: "civil" }))
      .toEqual({ queue: "overdue", procuratorate: "140213", stage: "investigating", kind: "civil" });
    expect(listFilters({ queue: "x", stage: "nope", kind: "both", procuratorate: "14" }))
      .toEqual({ queue: "all", stage: "", kind: "", procuratorate: "" });
  });
  it("matches a procuratorate and those below it", () => {
    expect(inProcuratorate("140213", "140213")).toBe(true);
    expect(inProcuratorate("140214", "140213")).toBe(false);
    expect(inProcuratorate("140213", "140200")).toBe(true);
    expect(inProcuratorate("140300", "140200")).toBe(false);
    expect(inProcuratorate("140213", "140000")).toBe(true);
    expect(inProcuratorate("140213", "")).toBe(true);
  });
});

describe("errorFor", () => {
  const labels = { reason: "理由", members: "听证员", starts_at: "听证时间" };
  it("puts an error next to its field, in Chinese", () => {
    expect(errorFor(new ApiError(400, "missing_field", "reason", "…"), labels))
      .toEqual({ key: "reason", text: "请填写理由。" });
    expect(errorFor(new ApiError(422, "unknown_member", "members[1]", "…"), labels))
      .toEqual({ key: "members", text: "所选听证员不在本院听证员库中或已停用。" });
  });
  it("says a chief's decision is needed, and a conflict plainly", () => {
    expect(errorFor(new ApiError(403, "forbidden", "event", "…"), labels))
      .toEqual({ key: null, text: "需要检察长决定。" });
    expect(errorFor(new ApiError(409, "conflict", "expected_version", "…"), labels).text)
      .toBe("案件已被他人更新，请重新载入后再办理。");
    expect(errorFor(new ApiError(0, "network", null, ""), labels).text).toMatch(/无法连接/);
  });
});
