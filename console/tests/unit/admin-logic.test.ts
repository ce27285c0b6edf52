import { describe, expect, it } from "vitest";
import {
  actionsFor,
  calendarOf,
  defaultTerm,
  extensionsText,
  measureFields,
  nextYear,
  periodText,
} from "../../src/pages/admin/admin";

describe("a volunteer's allowed actions", () => {
  it("are those of router.volunteer_transition, one button each", () => {
    expect(actionsFor("applied").map((a) => a.label)).toEqual(["appoint", "reject"]);
    expect(actionsFor("appointed")).toEqual([
      { action: "appoint", label: "renew" },
      { action: "suspend", label: "suspend" },
      { action: "dismiss", label: "dismiss" },
    ]);
    expect(actionsFor("suspended").map((a) => a.action)).toEqual(["reinstate", "dismiss"]);
    expect(actionsFor("rejected")).toEqual([]);
    expect(actionsFor("dismissed")).toEqual([]);
  });

  it("offer a three-year term from today", () => {
    expect(defaultTerm("2026-10-03")).toEqual({ start: "2026-10-03", end: "2029-10-02" });
    expect(defaultTerm("2028-03-01")).toEqual({ start: "2028-03-01", end: "2031-02-28" });
  });
});

describe("the calendar's coverage", () => {
  it("reads a service's health, warning or not", () => {
    expect(
      calendarOf({ status: "ok", calendar: { covered_until: "2026-12-31", version: 6, warning: "the holiday calendar does not cover" } }),
    ).toEqual({ covered_until: "2026-12-31", version: 6, warning: "the holiday calendar does not cover" });
    expect(calendarOf({ status: "ok", calendar: { covered_until: "2027-12-31", version: 7, warning: null } })?.warning).toBeNull();
    expect(calendarOf({ status: "ok" })).toBeNull();
    expect(calendarOf(null)).toBeNull();
  });

  it("names the year to load next", () => {
    expect(nextYear("2026-12-31", "2026-11-20")).toBe(2027);
    expect(nextYear(null, "2026-11-20")).toBe(2026);
  });
});

describe("reference data's labels", () => {
  it("writes periods and extensions in Chinese", () => {
    expect(periodText({ count: 2, unit: "months" })).toBe("2个月");
    expect(periodText({ count: 15, unit: "days" })).toBe("15日");
    expect(periodText(null)).toBe("无");
    expect(
      extensionsText([
        { by_role: "chief_prosecutor", count: 1, unit: "months", times: 1 },
        { by_role: "upper_procuratorate", count: 1, unit: "months", times: 1 },
      ]),
    ).toBe("检察长可延长1个月（1次）；上一级检察院可延长1个月（1次）");
  });

  it("reads a measure's fields", () => {
    expect(measureFields("*")).toBe("all");
    expect(measureFields("ecology|state_land")).toEqual(["ecology", "state_land"]);
  });
});
