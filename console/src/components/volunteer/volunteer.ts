// The volunteers' pages' own logic, without Vue: the API's shapes, the
// application's checks, due dates and the term, photos' metadata.  Tested
// in tests/unit/volunteer-*.test.ts.
import { beijingDate } from "../../api";
import { fill, t } from "../../i18n/zh-CN";
export { hex, sizeText } from "../../files";

// ---- the API's shapes (docs/api.md) ----

export type VolunteerRole = "informant" | "assessor" | "supervisor";
export const VOLUNTEER_ROLES: VolunteerRole[] = ["informant", "assessor", "supervisor"];
export type VolunteerStatus = "applied" | "appointed" | "suspended" | "rejected" | "dismissed";
export const VOLUNTEER_STATUSES: VolunteerStatus[] = [
  "applied",
  "appointed",
  "suspended",
  "rejected",
  "dismissed",
];

/** A volunteer as the registry shows them (no personal data). */
export interface Volunteer {
  id: string;
  login: string;
  status: VolunteerStatus;
  procuratorate: string;
  city: string;
  expertise: string[];
  roles: VolunteerRole[];
  statement: string;
  certificate_no: string | null;
  term_start: string | null;
  term_end: string | null;
  term_expired: boolean;
  applied_at: string;
  updated_at: string;
}
export interface Person {
  name: string;
  phone: string;
  email?: string;
}
export type VolunteerWithPerson = Volunteer & { person?: Person };

export interface Conflict {
  id: string;
  kind: "region" | "keyword" | "clue";
  value: string;
  reason: string;
  declared_at: string;
}

export type TaskStatus = "assigned" | "submitted" | "late" | "declined";
export interface AssessmentTask {
  id: string;
  status: TaskStatus;
  assigned_at: string;
  due_at: string;
  submitted_at: string | null;
  credibility: number | null;
  severity: number | null;
  public_interest_harm: number | null;
  recommendation: "route" | "reject" | "review" | null;
  comment: string | null;
  clue: {
    id: string;
    title: string;
    description: string;
    field_code: string;
    region_code: string;
    received_at: string;
  };
}
export interface Consultation {
  id: string;
  case_id: string;
  case_title: string;
  field_code: string;
  question: string;
  state: "asked" | "answered" | "declined" | "late";
  version: number;
  due_at: string;
  asked_at: string;
  answer: string | null;
  references: string[] | null;
}
export interface Supervision {
  case_id: string;
  title: string;
  kind: string;
  field_code: string;
  procuratorate: string;
  state: string;
  appointed_at: string;
  observations: number;
}
export interface HearingTask {
  id: string;
  case_id: string;
  procuratorate: string;
  field_code: string;
  state: string;
  starts_at: string;
  as: "member" | "observer";
  place: string;
  topic: string;
  public: boolean;
  stream_url: string | null;
  outcome: string | null;
  updated_at: string;
}
/** A clue the volunteer submitted (GET /api/v1/clues): what names it and
 *  its public progress, as the follow-up by receipt code shows it. */
export interface MyClue {
  id: string;
  receipt_code: string;
  title: string;
  field_code: string;
  region_code: string;
  status: string;
  received_at: string;
  last_step: { step: string; at: string; label?: string } | null;
}
export interface MyWork {
  consultations: Consultation[];
  supervisions: Supervision[];
  hearings: HearingTask[];
}

// ---- the application (POST /api/v1/volunteers/applications) ----

export interface Application {
  login: string;
  password: string;
  name: string;
  phone: string;
  email: string;
  procuratorate: string;
  expertise: string[];
  roles: string[];
  statement: string;
}

const LOGIN = /^[a-z0-9][a-z0-9._-]{2,31}$/;
const PHONE = /^\+?[0-9 -]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The UTF-8 length: the API counts the password in bytes. */
export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** The form's own checks, before anything is sent: the rules of docs/api.md,
 *  each error under the member it concerns. */
export function checkApplication(a: Application): Record<string, string> {
  const E = t.volunteer.apply.errors;
  const L = t.volunteer.apply;
  const errors: Record<string, string> = {};
  const required = (k: keyof Application, label: string) => {
    if (!String(a[k]).trim()) errors[k] = fill(t.errors.required, { field: label });
  };
  required("login", L.login);
  if (!errors.login && !LOGIN.test(a.login.trim())) errors.login = E.login;
  if (!a.password) errors.password = fill(t.errors.required, { field: L.password });
  else if (utf8Length(a.password) < 10 || utf8Length(a.password) > 128)
    errors.password = E.weak_password;
  required("name", L.name);
  if (!errors.name && [...a.name.trim()].length > 64) errors.name = E.name;
  required("phone", L.phone);
  const digits = a.phone.replace(/\D/g, "").length;
  if (!errors.phone && (!PHONE.test(a.phone.trim()) || digits < 5 || digits > 20))
    errors.phone = E.phone;
  if (a.email.trim() && !EMAIL.test(a.email.trim())) errors.email = E.email;
  if (!a.procuratorate) errors.procuratorate = fill(t.errors.choose, { field: L.procuratorate });
  if (a.roles.length === 0) errors.roles = E.roles;
  if ([...a.statement].length > 1000) errors.statement = E.statement;
  return errors;
}

/** The body the API takes: trimmed, an empty e-mail and statement left out. */
export function applicationBody(a: Application): Record<string, unknown> {
  const body: Record<string, unknown> = {
    login: a.login.trim(),
    password: a.password,
    name: a.name.trim(),
    phone: a.phone.trim(),
    procuratorate: a.procuratorate,
    expertise: a.expertise,
    roles: a.roles,
  };
  if (a.email.trim()) body.email = a.email.trim();
  if (a.statement.trim()) body.statement = a.statement.trim();
  return body;
}

// ---- due dates and the term ----

const HOUR = 3600_000;

/** Where a due instant stands: past it, within a day of it, or later. */
export function dueState(dueIso: string, nowMs: number): "overdue" | "soon" | "ok" {
  const due = Date.parse(dueIso);
  if (Number.isNaN(due)) return "ok";
  if (due <= nowMs) return "overdue";
  if (due - nowMs <= 24 * HOUR) return "soon";
  return "ok";
}

/** Whole days from one calendar day (YYYY-MM-DD) to another. */
export function daysBetween(from: string, to: string): number {
  const a = Date.UTC(+from.slice(0, 4), +from.slice(5, 7) - 1, +from.slice(8, 10));
  const b = Date.UTC(+to.slice(0, 4), +to.slice(5, 7) - 1, +to.slice(8, 10));
  return Math.round((b - a) / 86400_000);
}

/** Today in Beijing (YYYY-MM-DD). */
export function beijingToday(nowMs: number = Date.now()): string {
  return beijingDate(new Date(nowMs).toISOString());
}

export type TermState =
  | { kind: "none" }
  | { kind: "notStarted"; start: string }
  | { kind: "active"; days: number }
  | { kind: "endsToday" }
  | { kind: "expired"; end: string };

/** The term against today (Beijing): the last day is still in term. */
export function termState(start: string | null, end: string | null, today: string): TermState {
  if (!start || !end) return { kind: "none" };
  if (today < start) return { kind: "notStarted", start };
  if (today > end) return { kind: "expired", end };
  const days = daysBetween(today, end);
  return days === 0 ? { kind: "endsToday" } : { kind: "active", days };
}

export function termText(s: TermState): string {
  const M = t.volunteer.me;
  switch (s.kind) {
    case "none":
      return M.notAppointed;
    case "notStarted":
      return fill(M.notStarted, { start: s.start });
    case "active":
      return fill(M.daysLeft, { n: s.days });
    case "endsToday":
      return M.endsToday;
    case "expired":
      return fill(M.expired, { end: s.end });
  }
}

// ---- answers and observations ----

/** References, one a line, blank lines left out. */
export function splitReferences(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export const PHOTO_TYPES = ["image/jpeg", "image/png", "image/heic", "image/webp"];
export const PHOTO_MAX = 50 * 1024 * 1024;

/** A photo's media type as the API takes it: the browser's, or from the
 *  name when the browser does not know it (HEIC often), or null. */
export function photoType(name: string, type: string): string | null {
  if (PHOTO_TYPES.includes(type)) return type;
  if (type) return null;
  const ext = name.toLowerCase().split(".").pop() ?? "";
  const byExt: Record<string, string> = {
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    png: "image/png",
    heic: "image/heic",
    heif: "image/heic",
    webp: "image/webp",
  };
  return byExt[ext] ?? null;
}



/** A file name without a path (the API refuses one). */
export function baseName(name: string): string {
  return name.split(/[\\/]/).pop() || "photo";
}
