// The upper levels' numbers, from what the workflow's API gives
// (GET /api/v1/workflow/cases, its due_soon and overdue queues, and
// GET /api/v1/workflow/reviews): pure functions, tested by
// tests/unit/upper-aggregate.test.ts.  A "view" is the procuratorate whose
// numbers are shown (the user's own, or one below it after a drill-down);
// its "units" are itself and the procuratorates directly below it, and
// every case or clue counts for the unit it lies in, by the region codes'
// prefixes (the scope rule of common/gy_scope.h).

export interface Deadline {
  id: string;
  rule: string;
  name_zh: string | null;
  due_at: string | null;
  warn_at: string | null;
  last_day: string | null;
  provisional: boolean;
  paused: boolean;
}

/** An item of GET /api/v1/workflow/cases (the members the pages use). */
export interface CaseItem {
  id: string;
  kind: string;
  procuratorate: string;
  field_code: string;
  state: string;
  title: string;
  opened_at: string;
  updated_at: string;
  next_due: Deadline | null;
}

/** An item of GET /api/v1/workflow/reviews (always under_review). */
export interface ReviewItem {
  clue_id: string;
  state: string;
  procuratorate: string;
  field_code: string;
  priority: number;
  assignee: string | null;
  routed_at: string;
  updated_at: string;
}

/** Everything the pages count: the cases in scope, the cases of the
 *  due_soon and overdue queues, and the clues under review. */
export interface ScopeData {
  cases: CaseItem[];
  dueSoon: CaseItem[];
  overdue: CaseItem[];
  reviews: ReviewItem[];
}

/** The prefix of the codes a procuratorate's scope covers: a province
 *  "140000" → "14", a city "140200" → "1402", a county its six digits, the
 *  supreme "" (gy_scope_prefix). */
export function scopePrefix(code: string): string {
  if (code === "000000") return "";
  if (code.endsWith("0000")) return code.slice(0, 2);
  if (code.endsWith("00")) return code.slice(0, 4);
  return code;
}

/** Whether `code` lies within the scope of `view`. */
export function within(code: string, view: string): boolean {
  return code.startsWith(scopePrefix(view));
}

/** The unit of `view` that `code` counts for: `view` itself when equal,
 *  else the procuratorate directly below `view` that contains it; null
 *  when outside.  A county has no units below it. */
export function unitOf(code: string, view: string): string | null {
  if (!within(code, view)) return null;
  if (code === view) return view;
  const p = scopePrefix(view);
  if (p.length === 0) return code.slice(0, 2) + "0000";
  if (p.length === 2) return code.slice(0, 4) + "00";
  if (p.length === 4) return code;
  return view;
}

/** The procuratorates from `own` down to `view` (the breadcrumb of a
 *  drill-down): [own, …, view], or [own] when `view` is not within it. */
export function pathTo(own: string, view: string): string[] {
  if (!within(view, own)) return [own];
  const path = [own];
  let at = own;
  while (at !== view) {
    const next = unitOf(view, at);
    if (!next || next === at) break;
    path.push(next);
    at = next;
  }
  return path;
}

/** The units of a view, in order: itself, then `children` (the reference
 *  data's order), then any other unit the data names (a code the reference
 *  data does not know yet), by code. */
export function unitsOf(view: string, children: string[], data: ScopeData): string[] {
  const units = [view, ...children.filter((c) => c !== view && unitOf(c, view) === c)];
  const extra = new Set<string>();
  for (const x of [...data.cases, ...data.reviews]) {
    const u = unitOf(x.procuratorate, view);
    if (u && !units.includes(u)) extra.add(u);
  }
  return [...units, ...[...extra].sort()];
}

/** The data within a view's scope. */
export function restrict(data: ScopeData, view: string): ScopeData {
  const inView = <T extends { procuratorate: string }>(xs: T[]) =>
    xs.filter((x) => within(x.procuratorate, view));
  return {
    cases: inView(data.cases),
    dueSoon: inView(data.dueSoon),
    overdue: inView(data.overdue),
    reviews: inView(data.reviews),
  };
}

/** The states a case ends in. */
export const FINAL_STATES = ["closed", "terminated"];

export function isOpen(c: Pick<CaseItem, "state">): boolean {
  return !FINAL_STATES.includes(c.state);
}

/** The case machines' states in the order a case goes through them
 *  (docs/workflow.md), the order of the stage chart. */
export const STAGE_ORDER = [
  "opened",
  "investigating",
  "investigating_suspended",
  "consulting",
  "consulting_suspended",
  "suggestion_issued",
  "awaiting_reply",
  "following_up",
  "following_up_suspended",
  "rectified",
  "asking_relatives",
  "announcement",
  "supporting_suit",
  "review_for_suit",
  "review_for_suit_suspended",
  "suit_filed",
  "judgment",
  "appeal",
  "enforcement_supervision",
  "closed",
  "terminated",
];

export interface Count {
  key: string;
  count: number;
}

function counts<T>(xs: T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

/** Cases by stage, in the machines' order (a state it does not know: after
 *  them, by name); stages without a case left out. */
export function byStage(cases: CaseItem[]): Count[] {
  const m = counts(cases, (c) => c.state);
  const rank = (s: string) => {
    const i = STAGE_ORDER.indexOf(s);
    return i < 0 ? STAGE_ORDER.length : i;
  };
  return [...m.entries()]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));
}

/** Cases by field, most first (then by code). */
export function byField(cases: CaseItem[]): Count[] {
  return [...counts(cases, (c) => c.field_code).entries()]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

/** Administrative and civil cases (both always listed, administrative
 *  first; another kind after them). */
export function byKind(cases: CaseItem[]): Count[] {
  const m = counts(cases, (c) => c.kind);
  const out = ["administrative", "civil"].map((key) => ({ key, count: m.get(key) ?? 0 }));
  for (const [key, count] of m) if (key !== "administrative" && key !== "civil") out.push({ key, count });
  return out;
}

export interface UnitRow {
  unit: string;
  reviews: number;
  open: number;
  cases: number;
  dueSoon: number;
  overdue: number;
}

/** One row per unit of the view: the clues under review, the open cases,
 *  all cases, and the cases due soon and overdue (each case once per
 *  queue, as the API's queues list it). */
export function unitRows(view: string, units: string[], data: ScopeData): UnitRow[] {
  const rows = new Map<string, UnitRow>(
    units.map((u) => [u, { unit: u, reviews: 0, open: 0, cases: 0, dueSoon: 0, overdue: 0 }]),
  );
  const at = (code: string) => {
    const u = unitOf(code, view);
    return u ? rows.get(u) : undefined;
  };
  for (const r of data.reviews) {
    const row = at(r.procuratorate);
    if (row) row.reviews++;
  }
  for (const c of data.cases) {
    const row = at(c.procuratorate);
    if (!row) continue;
    row.cases++;
    if (isOpen(c)) row.open++;
  }
  for (const c of uniqueById(data.dueSoon)) {
    const row = at(c.procuratorate);
    if (row) row.dueSoon++;
  }
  for (const c of uniqueById(data.overdue)) {
    const row = at(c.procuratorate);
    if (row) row.overdue++;
  }
  return [...rows.values()];
}

/** The sums of the rows (the table's 合计). */
export function totalOf(rows: UnitRow[]): Omit<UnitRow, "unit"> {
  const t = { reviews: 0, open: 0, cases: 0, dueSoon: 0, overdue: 0 };
  for (const r of rows) {
    t.reviews += r.reviews;
    t.open += r.open;
    t.cases += r.cases;
    t.dueSoon += r.dueSoon;
    t.overdue += r.overdue;
  }
  return t;
}

/** Items once each (a page boundary moving under a live queue may repeat
 *  one). */
export function uniqueById<T extends { id: string }>(xs: T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => (seen.has(x.id) ? false : (seen.add(x.id), true)));
}

/** What the county's table of cases is filtered by (the query of
 *  /work/dashboard: stage, field, kind, queue). */
export interface CaseFilter {
  stage?: string;
  field?: string;
  kind?: string;
  queue?: "due_soon" | "overdue";
}

export function filterCases(data: ScopeData, f: CaseFilter): CaseItem[] {
  const inQueue =
    f.queue === "due_soon"
      ? new Set(data.dueSoon.map((c) => c.id))
      : f.queue === "overdue"
        ? new Set(data.overdue.map((c) => c.id))
        : null;
  return data.cases.filter(
    (c) =>
      (!f.stage || c.state === f.stage) &&
      (!f.field || c.field_code === f.field) &&
      (!f.kind || c.kind === f.kind) &&
      (!inQueue || inQueue.has(c.id)),
  );
}

/** The newest `n` items by a time member (ISO strings with the same
 *  offset sort as text; compared as instants to be safe). */
export function latest<T>(xs: T[], at: (x: T) => string, n: number): T[] {
  return [...xs].sort((a, b) => Date.parse(at(b)) - Date.parse(at(a))).slice(0, n);
}

/** Every item of a keyset-paged list (docs/api.md): asks for pages until
 *  `next` is null, telling `progress` how many it has after each page. */
export async function pageAll<T>(
  fetchPage: (after: string | null) => Promise<{ items: T[]; next: string | null }>,
  progress: (count: number) => void = () => undefined,
  maxPages = 1000,
): Promise<T[]> {
  const all: T[] = [];
  let after: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const page: { items: T[]; next: string | null } = await fetchPage(after);
    all.push(...page.items);
    progress(all.length);
    if (!page.next) break;
    after = page.next;
  }
  return all;
}
