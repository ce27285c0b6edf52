import { describe, expect, it } from "vitest";
import {
  isDate,
  isoWeekday,
  loadAnswer,
  loadBody,
  parseCalendar,
  rowOfField,
  weekdayName,
} from "../../src/pages/admin/calendar";

// A 2027 arrangement in the file's format (made up in the shape of a real
// notice: 2027's was not out).  2027-02-20 is a Saturday.
const FILE = [
  "date,kind,name",
  "# 国务院办公厅关于2027年部分节假日安排的通知",
  "2027,year,国务院办公厅关于2027年部分节假日安排的通知",
  "2027-02-08,holiday,春节",
  "2027-01-01,holiday,元旦",
  "",
  "2027-02-20,workday,春节调休",
].join("\r\n");

describe("a year's arrangement read from the holiday file's format", () => {
  it("takes the notice's title, the days in date order with their lines", () => {
    const p = parseCalendar("\uFEFF" + FILE, 2027);
    expect(p.problems).toEqual([]);
    expect(p.source).toBe("国务院办公厅关于2027年部分节假日安排的通知");
    expect(p.days).toEqual([
      { day: "2027-01-01", kind: "holiday", name: "元旦", line: 5 },
      { day: "2027-02-08", kind: "holiday", name: "春节", line: 4 },
      { day: "2027-02-20", kind: "workday", name: "春节调休", line: 7 },
    ]);
    expect(loadBody("通知", p.days)).toEqual({
      source: "通知",
      days: [
        { day: "2027-01-01", kind: "holiday", name: "元旦" },
        { day: "2027-02-08", kind: "holiday", name: "春节" },
        { day: "2027-02-20", kind: "workday", name: "春节调休" },
      ],
    });
  });

  it("takes pasted lines without a header, psql's header, and a name with a comma", () => {
    expect(parseCalendar("2027-10-01,holiday,国庆节", 2027).days).toHaveLength(1);
    expect(parseCalendar("day,kind,name\n2027-10-01,holiday,国庆节", 2027).problems).toEqual([]);
    expect(parseCalendar("2027-10-01,holiday,国庆节,中秋节", 2027).days[0].name).toBe("国庆节,中秋节");
  });

  it("names every wrong line by its number, as the services' rules would refuse it", () => {
    const text = [
      "date,kind,name",
      "2027-02-09,workday,调休", // a Tuesday
      "2026-12-31,holiday,元旦", // another year
      "2027-02-30,holiday,春节", // no such day
      "2027-10-01,leave,国庆节", // unknown kind
      "2027-10-02,holiday,", // no name
      "2027-10-03 holiday 国庆节", // not three fields
      "2027-01-01,holiday,元旦",
      "2027-01-01,holiday,元旦", // twice
      "2028,year,国务院办公厅关于2028年部分节假日安排的通知", // another year's title
    ].join("\n");
    const p = parseCalendar(text, 2027);
    expect(p.problems.map((x) => x.line)).toEqual([2, 3, 4, 5, 6, 7, 9, 10]);
    expect(p.problems[0].message).toContain("星期二");
    expect(p.problems[1].message).toContain("不在 2027 年");
    expect(p.problems[3].message).toContain("leave");
    expect(p.problems[6].message).toContain("第 8 行");
    expect(p.days.map((d) => d.day)).toEqual(["2027-01-01"]);
  });

  it("says so when there is no day at all", () => {
    expect(parseCalendar("date,kind,name\n# nothing\n", 2027).problems).toHaveLength(1);
  });
});

describe("dates", () => {
  it("are real days, with their weekday", () => {
    expect(isDate("2028-02-29")).toBe(true);
    expect(isDate("2027-02-29")).toBe(false);
    expect(isDate("2027-1-01")).toBe(false);
    expect(isoWeekday("2027-02-20")).toBe(6);
    expect(isoWeekday("2027-02-21")).toBe(7);
    expect(weekdayName("2027-02-09")).toBe("星期二");
  });
});

describe("a service's answer to a load", () => {
  it("is said in Chinese, next to the row it names", () => {
    expect(loadAnswer(201, null, null, 2027)).toEqual({ ok: true, text: "已载入 2027 年的安排。", row: null });
    const a = loadAnswer(422, "workday_on_weekday", "days[3].day", 2027);
    expect(a).toMatchObject({ ok: false, row: 3 });
    expect(a.text).toContain("第 4 天");
    expect(loadAnswer(409, "year_loaded", "year", 2027).text).toContain("2027 年的安排已经载入过");
    expect(loadAnswer(503, "unavailable", null, 2027).text).toContain("没有写入");
    expect(loadAnswer(418, "teapot", "x", 2027).text).toContain("teapot");
    expect(rowOfField("days[12].kind")).toBe(12);
    expect(rowOfField("source")).toBeNull();
    expect(rowOfField(null)).toBeNull();
  });
});
