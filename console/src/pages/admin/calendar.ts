// 载入年度安排 without Vue: a year's holiday arrangement read from the
// holiday file's format (reference/holidays.csv, docs/calendar.md "The
// file": a header date,kind,name, a YYYY,year,<notice> line, one
// date,kind,name line per day) or pasted text, checked by the rules the
// services apply (common/gy_calendar: a date of that year, holiday or
// workday, a name, a workday only on a weekend, each day once), and the
// services' answers placed next to the row they name.  Tested in
// tests/unit/admin-calendar.test.ts.
import { fill, t } from "../../i18n/zh-CN";

export type DayKind = "holiday" | "workday";

/** A day to send (PUT …/calendar/years/{year}) with the line it came from. */
export interface CalendarDay {
  day: string;
  kind: DayKind;
  name: string;
  line: number;
}

export interface CalendarProblem {
  line: number;
  message: string;
}

export interface ParsedCalendar {
  /** The notice's title from a `YYYY,year,…` line, or null. */
  source: string | null;
  days: CalendarDay[];
  /** Line-numbered, in line order; nothing is sent while there is one. */
  problems: CalendarProblem[];
}

const E = () => t.admin.calendar.parse;

/** Whether text is a real date YYYY-MM-DD. */
export function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** ISO weekday of a date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(text: string): number {
  const d = new Date(`${text}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
}

/** The weekday's name (星期一 … 星期日). */
export function weekdayName(text: string): string {
  return t.admin.calendar.weekdays[isoWeekday(text) - 1];
}

/** Reads the lines of a year's arrangement.  Blank lines and lines
 *  starting with # are skipped; a header (date,kind,name, or day,kind,name
 *  as psql's file has it) may lead; the name is the rest of the line after
 *  the second comma, as the services read it. */
export function parseCalendar(text: string, year: number): ParsedCalendar {
  const out: ParsedCalendar = { source: null, days: [], problems: [] };
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  let first = true;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const s = raw.replace(/\r$/, "").trim();
    if (!s || s.startsWith("#")) return;
    const problem = (message: string) => out.problems.push({ line, message });
    if (first) {
      first = false;
      if (s === "date,kind,name" || s === "day,kind,name") return;
    }
    const a = s.indexOf(",");
    const b = a < 0 ? -1 : s.indexOf(",", a + 1);
    if (b < 0) return problem(E().shape);
    const [date, kind, name] = [s.slice(0, a).trim(), s.slice(a + 1, b).trim(), s.slice(b + 1).trim()];
    if (kind === "year") {
      if (date !== String(year)) return problem(fill(E().otherYear, { year }));
      if (!name) return problem(E().noSource);
      if (out.source !== null) return problem(E().yearTwice);
      out.source = name;
      return;
    }
    if (!isDate(date)) return problem(fill(E().notADate, { text: date }));
    if (+date.slice(0, 4) !== year) return problem(fill(E().dayNotInYear, { day: date, year }));
    if (kind !== "holiday" && kind !== "workday") return problem(fill(E().unknownKind, { text: kind }));
    if (!name) return problem(E().noName);
    if (name.length > 64) return problem(E().nameTooLong);
    if (kind === "workday" && isoWeekday(date) < 6)
      return problem(fill(E().workdayOnWeekday, { day: date, weekday: weekdayName(date) }));
    const before = seen.get(date);
    if (before !== undefined) return problem(fill(E().twice, { day: date, line: before }));
    seen.set(date, line);
    out.days.push({ day: date, kind, name, line });
  });
  if (!out.days.length && !out.problems.length) out.problems.push({ line: 0, message: E().empty });
  out.days.sort((x, y) => (x.day < y.day ? -1 : x.day > y.day ? 1 : 0));
  return out;
}

/** The body of PUT …/calendar/years/{year}. */
export function loadBody(source: string, days: CalendarDay[]) {
  return { source, days: days.map(({ day, kind, name }) => ({ day, kind, name })) };
}

/** The row of the preview an API error's field names ("days[3].day" →
 *  3), or null when it names no row. */
export function rowOfField(field: string | null): number | null {
  const m = /^days\[(\d+)\]/.exec(field ?? "");
  return m ? +m[1] : null;
}

/** A service's answer to a load, in Chinese: what happened, or why not,
 *  with the row it concerns (its index in the days sent) when it names
 *  one. */
export function loadAnswer(
  status: number,
  code: string | null,
  field: string | null,
  year: number,
): { ok: boolean; text: string; row: number | null } {
  const A = t.admin.calendar.answers;
  if (status === 201 || status === 200) return { ok: true, text: fill(A.loaded, { year }), row: null };
  const row = rowOfField(field);
  const known = code ? (A.codes as Record<string, string>)[code] : undefined;
  let text: string;
  if (known) text = fill(known, { year, row: row === null ? "" : row + 1, field: field ?? "" });
  else if (status === 0) text = t.errors.network;
  else if (status >= 500) text = A.unavailable;
  else text = fill(A.other, { code: code ?? String(status), field: field ?? "" });
  return { ok: false, text, row };
}
