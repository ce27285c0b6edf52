// The administrators' pages' own logic, without Vue: which actions a
// volunteer's status allows, the calendar's coverage, the reference data's
// labels.  Tested in tests/unit/admin-*.test.ts.
import { fill, t } from "../../i18n/zh-CN";
import type { VolunteerStatus } from "../../components/volunteer/volunteer";

export type VolunteerAction = "appoint" | "reject" | "suspend" | "reinstate" | "dismiss";

/** The actions a status allows (docs/api.md, router.volunteer_transition):
 *  `label` is the button's key in t.admin.volunteers.actions (an appointed
 *  volunteer's appoint is a renewal). */
export function actionsFor(status: VolunteerStatus): { action: VolunteerAction; label: string }[] {
  switch (status) {
    case "applied":
      return [
        { action: "appoint", label: "appoint" },
        { action: "reject", label: "reject" },
      ];
    case "appointed":
      return [
        { action: "appoint", label: "renew" },
        { action: "suspend", label: "suspend" },
        { action: "dismiss", label: "dismiss" },
      ];
    case "suspended":
      return [
        { action: "reinstate", label: "reinstate" },
        { action: "dismiss", label: "dismiss" },
      ];
    default:
      return [];
  }
}

/** A default term: from today for three years (the day before the third
 *  anniversary), as YYYY-MM-DD. */
export function defaultTerm(today: string): { start: string; end: string } {
  const y = +today.slice(0, 4) + 3;
  const d = new Date(Date.UTC(y, +today.slice(5, 7) - 1, +today.slice(8, 10)));
  d.setUTCDate(d.getUTCDate() - 1);
  return { start: today, end: d.toISOString().slice(0, 10) };
}

// ---- the calendar's coverage (GET /router/healthz, /workflow/healthz) ----

export interface CalendarHealth {
  covered_until: string | null;
  version: number | null;
  warning: string | null;
}

/** The calendar member of a service's health, or null when it has none. */
export function calendarOf(health: unknown): CalendarHealth | null {
  const c = (health as { calendar?: Partial<CalendarHealth> } | null)?.calendar;
  if (!c || typeof c !== "object") return null;
  return {
    covered_until: typeof c.covered_until === "string" ? c.covered_until : null,
    version: typeof c.version === "number" ? c.version : null,
    warning: typeof c.warning === "string" && c.warning ? c.warning : null,
  };
}

/** The year an administrator loads next: the one after the last covered,
 *  or, with nothing covered, this year. */
export function nextYear(coveredUntil: string | null, today: string): number {
  if (!coveredUntil) return +today.slice(0, 4);
  return +coveredUntil.slice(0, 4) + 1;
}

// ---- reference data ----

export interface TimeLimit {
  rule: string;
  version: number;
  current: boolean;
  starts_on: string;
  count: number;
  unit: string;
  urgent: { count: number; unit: string } | null;
  extensions: { by_role: string; count: number; unit: string; times: number }[];
  basis: string;
  verified: boolean;
  name_zh: string;
  warn_working_days: number;
}

export interface Measure {
  code: string;
  name_zh: string;
  unit: string;
  value_kind: string;
  scale: number;
  fields: string;
  sums: boolean;
}

const R = () => t.admin.reference;

export function periodText(p: { count: number; unit: string } | null): string {
  if (!p) return R().none;
  return fill(R().period, { count: p.count, unit: R().units[p.unit] ?? p.unit });
}

export function extensionsText(list: TimeLimit["extensions"]): string {
  if (!list.length) return R().none;
  return list
    .map((e) =>
      fill(R().extension, {
        role: R().extensionRoles[e.by_role] ?? e.by_role,
        count: e.count,
        unit: R().units[e.unit] ?? e.unit,
        times: e.times,
      }),
    )
    .join("；");
}

/** The fields a measure applies to: "*" (all) or codes joined by "|". */
export function measureFields(fields: string): string[] | "all" {
  if (fields.trim() === "*") return "all";
  return fields
    .split("|")
    .map((s) => s.trim())
    .filter(Boolean);
}

// ---- access tokens (POST and GET /api/v1/tokens) ----

/** The roles an administrator issues tokens for (docs/api.md): staff and
 *  integrators; a volunteer logs in with a password instead. */
export const ISSUABLE_ROLES = ["prosecutor", "chief_prosecutor", "admin", "integrator"] as const;
export type IssuableRole = (typeof ISSUABLE_ROLES)[number];

/** A token's record as the router keeps it: never the token itself. */
export interface IssuedToken {
  id: string;
  sub: string;
  role: string;
  proc: string;
  purpose: string;
  issued_by: string;
  issued_at: string;
  expires_at: string;
  expired: boolean;
}

/** The answer of POST /api/v1/tokens: the record and, this once, the token. */
export interface Issued extends Omit<IssuedToken, "expired"> {
  token: string;
}

/** The prefix of the codes a caller at `proc` acts for, as the services
 *  compute it (common/gy_scope.h): a province's first two digits, a
 *  city's four, a county's six; "" for what is not a six-digit code. */
export function scopePrefix(proc: string): string {
  if (!/^\d{6}$/.test(proc)) return "";
  if (proc.endsWith("0000")) return proc.slice(0, 2);
  if (proc.endsWith("00")) return proc.slice(0, 4);
  return proc;
}

/** The procuratorates an administrator at `own` may issue tokens for: its
 *  own first, then every region of the reference data within its scope,
 *  in the list's order. */
export function procsInScope(own: string, regions: { code: string }[]): string[] {
  const prefix = scopePrefix(own);
  if (!prefix) return [];
  const below = regions.map((r) => r.code).filter((c) => c !== own && c.startsWith(prefix));
  return [own, ...below];
}

/** Whether `sub` is what a token's subject may be: 1 to 64 printable
 *  ASCII characters without spaces (gy-token's rule, and the router's). */
export function subValid(sub: string): boolean {
  return /^[!-~]{1,64}$/.test(sub);
}
