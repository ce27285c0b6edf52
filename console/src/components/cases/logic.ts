// The case pages' pure logic: which members a step's dialog asks for and
// the body it sends, the labels of deadlines and of what a step changed,
// impact values, Beijing times typed into a form, and where an API error
// is shown.  No Vue, no fetch: tested in tests/unit/cases-*.test.ts.
import { ApiError, beijing } from "../../api";
import { fill, t } from "../../i18n/zh-CN";
import type { Deadline, DeadlineChange, DeadlineReason, Measure } from "./caseApi";
export { hex, sizeText } from "../../files";

const T = t.cases;

/** The members a step takes beyond `reason` and `expected_version`
 *  (docs/api.md, `POST …/steps`). */
export type StepMember =
  | "harm_ongoing"
  | "judgment_kind"
  | "outcome"
  | "public_outcome"
  | "suspension_reason"
  | "extension";

export function stepMembers(event: string): StepMember[] {
  switch (event) {
    case "serve_suggestion":
      return ["harm_ongoing"];
    case "record_judgment":
    case "record_ruling":
    case "record_appeal_decision":
      return ["judgment_kind"];
    case "close":
    case "terminate":
      return ["outcome", "public_outcome"];
    case "suspend":
      return ["suspension_reason"];
    case "extend_period":
      return ["extension"];
    default:
      return [];
  }
}

export interface StepForm {
  reason: string;
  harm_ongoing: boolean;
  judgment_kind: string;
  outcome: string;
  public_outcome: string;
  suspension_reason: string;
  rule: string;
  count: number;
  unit: string;
}

export function emptyStepForm(harmOngoing = false): StepForm {
  return {
    reason: "",
    harm_ongoing: harmOngoing,
    judgment_kind: "",
    outcome: "",
    public_outcome: "",
    suspension_reason: "",
    rule: "",
    count: 1,
    unit: "months",
  };
}

/** The form's own check: each required member's error, by member name. */
export function checkStep(event: string, f: StepForm): Record<string, string> {
  const e: Record<string, string> = {};
  const need = (k: string, label: string) => (e[k] = fill(T.common.required, { field: label }));
  if (!f.reason.trim()) need("reason", T.step.reason);
  const members = stepMembers(event);
  if (members.includes("public_outcome") && !f.public_outcome.trim())
    need("public_outcome", T.step.publicOutcome);
  if (members.includes("suspension_reason") && !f.suspension_reason)
    e.suspension_reason = fill(T.common.choose, { field: T.step.suspensionReason });
  if (members.includes("extension")) {
    if (!f.rule) e.rule = T.step.chooseRule;
    if (!Number.isInteger(f.count) || f.count < 1 || f.count > 366)
      e.count = fill(T.errors.invalid_value, { field: T.step.count });
  }
  return e;
}

/** The body of `POST …/steps`: exactly the members the event takes (a
 *  member of another event is refused by the API). */
export function stepBody(event: string, f: StepForm, version: number): Record<string, unknown> {
  const body: Record<string, unknown> = { event, reason: f.reason.trim(), expected_version: version };
  for (const m of stepMembers(event)) {
    if (m === "harm_ongoing") body.harm_ongoing = f.harm_ongoing;
    else if (m === "judgment_kind") {
      if (f.judgment_kind.trim()) body.judgment_kind = f.judgment_kind.trim();
    } else if (m === "outcome") {
      if (f.outcome.trim()) body.outcome = f.outcome.trim();
    } else if (m === "public_outcome") body.public_outcome = f.public_outcome.trim();
    else if (m === "suspension_reason") body.suspension_reason = f.suspension_reason;
    else if (m === "extension") {
      body.rule = f.rule;
      body.count = f.count;
      body.unit = f.unit;
    }
  }
  return body;
}

/** The deadlines an extension may name: open (not settled, not missed)
 *  and, when the rules are known, of a rule that has extensions. */
export function extendable(deadlines: Deadline[], extensible?: Set<string>): Deadline[] {
  return deadlines.filter(
    (d) => !d.settled_at && !d.missed_at && (!extensible || extensible.has(d.rule)),
  );
}

/** The document a transition issues (docs/workflow.md, the machines'
 *  "documents" column): the step records the decision; the document is
 *  issued on its own through the documents API. */
const ISSUES: Record<string, string> = {
  issue_suggestion: "suggestion",
  publish_announcement: "announcement",
  support_suit: "support_letter",
  file_suit: "indictment",
  file_appeal: "appeal",
  close: "closing_decision",
  terminate: "closing_decision",
  reopen: "opening_decision",
};
export function issuesDocument(event: string): string | null {
  return ISSUES[event] ?? null;
}

/** The kinds of document a case of this kind may issue on its own. */
export function documentKinds(caseKind: string): string[] {
  return caseKind === "civil"
    ? ["opening_decision", "announcement", "support_letter", "indictment", "appeal", "closing_decision"]
    : ["opening_decision", "suggestion", "indictment", "appeal", "closing_decision"];
}

export type DeadlineStatus = "settled" | "missed" | "paused" | "overdue" | "due_soon" | "open";

/** Where a deadline stands at `now` (ms). */
export function deadlineStatus(d: Deadline, now: number): DeadlineStatus {
  if (d.settled_at) return "settled";
  if (d.missed_at) return "missed";
  if (d.paused || !d.due_at) return "paused";
  if (Date.parse(d.due_at) <= now) return "overdue";
  if (d.warn_at && Date.parse(d.warn_at) <= now) return "due_soon";
  return "open";
}

/** "截止 2026-12-01" (with "（暂定）"), or "已暂停". */
export function dueText(d: Pick<Deadline, "paused" | "last_day" | "provisional">): string {
  if (d.paused || !d.last_day) return T.deadlines.paused;
  return (
    fill(T.deadlines.due, { day: d.last_day }) + (d.provisional ? T.changes.provisional : "")
  );
}

export function eventLabel(e: string | null | undefined): string {
  if (!e) return "";
  return T.events[e] ?? e;
}
export function stateLabel(s: string | null | undefined): string {
  if (!s) return "";
  return T.states[s] ?? s;
}

/** One line per reason a deadline's day moved (docs/workflow.md, "Deadlines"). */
export function reasonText(r: DeadlineReason): string {
  const R = T.deadlines.reason;
  const unit = T.deadlines.units[r.unit ?? ""] ?? r.unit ?? "";
  const v = {
    from: r.from ?? "",
    to: r.to ?? "",
    days: r.days ?? 0,
    count: r.count ?? 0,
    unit,
    name: r.name ?? "",
    authority: T.deadlines.authority[r.authority ?? ""] ?? r.authority ?? "",
    reason: r.reason,
  };
  if (r.reason === "rest_day") return fill(r.name ? R.rest_day : R.rest_dayNoName, v);
  if (r.reason in R) return fill(R[r.reason], v);
  return fill(R.other, v);
}

/** What a step did to one deadline, as the dialog reports it. */
export function changeText(c: DeadlineChange): string {
  const name = c.name_zh ?? c.rule;
  const day = (c.last_day ?? "") + (c.provisional ? T.changes.provisional : "");
  if (c.change === "settled") return fill(T.changes.settled, { name });
  if (c.change === "started")
    return c.paused || !c.last_day
      ? fill(T.changes.startedPaused, { name })
      : fill(T.changes.started, { name, day });
  return c.paused || !c.last_day
    ? fill(T.changes.movedPaused, { name })
    : fill(T.changes.moved, { name, day });
}

/** The measures that apply to a field (`fields` is `*` or codes joined by `|`). */
export function measuresFor(measures: Measure[], field: string): Measure[] {
  return measures.filter((m) => m.fields === "*" || m.fields.split("|").includes(field));
}

/** Why a value is not a measure's decimal string, or null when it is: digits
 *  with an optional point and digits, greater than zero, at most 15 digits
 *  before the point and the measure's scale after it once trailing zeros
 *  are dropped (docs/workflow.md, "Impact"). */
export function checkValue(value: string, scale: number): string | null {
  const v = value.trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(v);
  if (!m) return T.impact.badValue;
  const whole = m[1].replace(/^0+(?=\d)/, "");
  const frac = (m[2] ?? "").replace(/0+$/, "");
  if (whole.length > 15) return T.impact.badValue;
  if (/^0*$/.test(whole) && frac === "") return T.impact.badValue;
  if (frac.length > scale)
    return scale === 0 ? T.impact.badInt : fill(T.impact.badScale, { scale });
  return null;
}

/** A measure's unit in Chinese. */
export function unitLabel(unit: string): string {
  return T.impact.units[unit] ?? unit;
}

/** A time typed in a datetime-local input, read as Beijing time, as the
 *  API takes it ("2026-10-08T09:30" → "2026-10-08T09:30:00+08:00"); null
 *  when it is not such a time. */
export function beijingInput(v: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2}))?$/.exec(v.trim());
  if (!m) return null;
  return `${m[1]}T${m[2]}:${m[3] ?? "00"}+08:00`;
}

/** The Beijing day `days` after the Beijing day of `now` (ms), YYYY-MM-DD. */
export function beijingDayPlus(now: number, days: number): string {
  const b = new Date(now + 8 * 3600 * 1000); // Beijing has no summer time
  const d = new Date(Date.UTC(b.getUTCFullYear(), b.getUTCMonth(), b.getUTCDate() + days));
  return d.toISOString().slice(0, 10);
}

/** The earliest day a hearing scheduled at `now` may start (at 00:00):
 *  today is the notice's day 0, days 1–3 are whole, day 4 is the first
 *  (docs/workflow.md, "Three days' notice"). */
export function earliestHearingDay(now: number): string {
  return beijingDayPlus(now, 4);
}



/** Where an API error goes (the form's key for its `field`: the first part
 *  of the path, `members[0]` → `members`, or null: above the button) and
 *  what it says in Chinese.  `labels` names the form's fields. */
export function errorFor(
  e: unknown,
  labels: Record<string, string>,
): { key: string | null; text: string } {
  const err = e instanceof ApiError ? e : new ApiError(0, "network", null, String(e));
  const field = err.field ?? "";
  const key = field.split(/[.[]/)[0] || null;
  const label = labels[field] ?? (key ? labels[key] : undefined) ?? "";
  const known = key && key in labels ? key : null;
  let text: string;
  if (err.code === "network") text = t.errors.network;
  else if (err.code === "rate_limited") text = t.errors.rate_limited;
  else if (err.status === 403 && err.code === "forbidden") text = T.errors.forbidden;
  else if (err.code in T.errors && (label || !T.errors[err.code].includes("{field}")))
    text = fill(T.errors[err.code], { field: label });
  else if (err.status >= 500) text = t.errors.unavailable;
  else if (err.code in t.errors.codes) text = t.errors.codes[err.code];
  else text = fill(t.errors.unknown, { code: err.code, message: err.message });
  return { key: known, text };
}

/** "2026-10-08 09:30" style Beijing time, or "" for none. */
export function when(iso: string | null | undefined): string {
  return iso ? beijing(iso) : "";
}

/** The list page's filters from its URL's query (the dashboard links in
 *  with them): queue, stage, kind and procuratorate (a code; a city's or
 *  province's code also matches the procuratorates below it). */
export interface ListFilters {
  queue: string;
  stage: string;
  kind: string;
  procuratorate: string;
}
const QUEUES = ["all", "mine", "due_soon", "overdue"];
export function listFilters(q: Record<string, unknown>): ListFilters {
  const s = (v: unknown) => (typeof v === "string" ? v : Array.isArray(v) ? String(v[0] ?? "") : "");
  const queue = s(q.queue);
  const stage = s(q.stage);
  const kind = s(q.kind);
  const proc = s(q.procuratorate);
  return {
    queue: QUEUES.includes(queue) ? queue : "all",
    stage: stage in T.states ? stage : "",
    kind: kind === "administrative" || kind === "civil" ? kind : "",
    procuratorate: /^\d{6}$/.test(proc) ? proc : "",
  };
}

/** Whether a case's procuratorate is `filter` or below it (140200 covers
 *  1402xx; 140000 covers 14xxxx); an empty filter matches all. */
export function inProcuratorate(code: string, filter: string): boolean {
  if (!filter) return true;
  if (filter.endsWith("0000")) return code.startsWith(filter.slice(0, 2));
  if (filter.endsWith("00")) return code.startsWith(filter.slice(0, 4));
  return code === filter;
}
