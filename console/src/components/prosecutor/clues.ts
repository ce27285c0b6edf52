// The prosecutors' clue pages' model: the shapes of the router's and the
// workflow's answers they read (docs/api.md, "router: routed clues" and
// "Workflow: clue review and cases"), their endpoints, and the pure rules
// the pages follow — which steps a user may take now, what a decision
// sends, how a refusal is said.  The rules are tested on their own
// (tests/unit/prosecutor-*.test.ts).
import { reactive } from "vue";
import { ApiError, http, query, type Page } from "../../api";
import { fill, t } from "../../i18n/zh-CN";
import type { Me } from "../../session";

const P = t.prosecutor;

// ---- shapes ----

export interface Sibling {
  clue_id: string;
  state: string;
  procuratorate: string;
  assignee: string | null;
  case_id: string | null;
}

export interface Review {
  clue_id: string;
  state: string;
  version: number;
  procuratorate: string;
  queue: string;
  field_code: string;
  case_kinds: string;
  priority: number;
  assignee: string | null;
  case_id: string | null;
  reason: string | null;
  public_reason: string | null;
  routed_at: string;
  updated_at: string;
  cluster: { id: string | null; siblings: Sibling[] } | null;
}

export interface ReviewStep {
  event: string;
  from_state: string | null;
  to_state: string | null;
  procuratorate: string | null;
  actor: string | null;
  reason: string | null;
  detail: Record<string, unknown> | null;
  at: string;
}

export interface ReviewDetail {
  review: Review;
  history: ReviewStep[];
}

export interface RoutedClue {
  id: string;
  title: string;
  description: string;
  region_code: string;
  lat: number | null;
  lon: number | null;
  field_code: string;
  field_confidence: number | null;
  reporter_field_code: string | null;
  major: boolean;
  procuratorate: string;
  city: string | null;
  queue: string;
  rule: string;
  priority: number;
  cluster_id: string | null;
  status: string;
  received_at: string;
  routed_at: string | null;
}

export interface Transfer {
  id: string;
  clue_id: string;
  from: string;
  to: string;
  superior: string;
  status: string;
  reason: string;
  requested_by: string;
  requested_at: string;
  answer: string | null;
  answered_by: string | null;
  answered_at: string | null;
  decided_procuratorate: string | null;
  decision: string | null;
  decided_by: string | null;
  decided_at: string | null;
}

export interface RoutedClueDetail {
  clue: RoutedClue;
  classifications: {
    field_code: string;
    confidence: number | null;
    decided_by: string;
    reason: string | null;
    decided_at: string;
  }[];
  cluster: {
    id: string;
    size: number;
    clues: { id: string; title: string; region_code: string; received_at: string }[];
    others: number;
  } | null;
  transfers: Transfer[];
}

export interface Reporter {
  clue_id: string;
  procuratorate: string;
  anonymous: boolean;
  reporter?: { name?: string; phone?: string; email?: string; id_number?: string };
  reporter_subject?: string;
}

export interface Deadline {
  rule: string;
  name_zh: string | null;
  due_at: string | null;
  last_day: string | null;
  provisional: boolean;
  paused: boolean;
}

export interface CaseItem {
  id: string;
  kind: string;
  procuratorate: string;
  field_code: string;
  state: string;
  title: string;
  opened_at: string;
  next_due?: Deadline | null;
}

export interface TimeLimit {
  rule: string;
  current: boolean;
  name_zh: string;
  extensions: { by_role: string; count: number; unit: string; times: number }[];
}

// ---- endpoints ----

const W = "/api/v1/workflow";
const enc = encodeURIComponent;

export const cluesApi = {
  reviews: (queue: string, after: string | null, limit = 20) =>
    http.get<Page<Review>>(`${W}/reviews` + query({ queue, after, limit })),
  review: (id: string) => http.get<ReviewDetail>(`${W}/reviews/${enc(id)}`),
  assign: (id: string, prosecutor: string, expected_version: number) =>
    http.post<ReviewDetail>(`${W}/reviews/${enc(id)}/assign`, { prosecutor, expected_version }),
  decide: (id: string, body: Record<string, unknown>) =>
    http.post<ReviewDetail>(`${W}/reviews/${enc(id)}/decide`, body),
  cases: (params: { queue?: string; stage?: string; kind?: string; after?: string | null; limit?: number }) =>
    http.get<Page<CaseItem>>(`${W}/cases` + query(params)),
  timeLimits: () => http.get<{ time_limits: TimeLimit[] }>(`${W}/time-limits`),
  rotation: (proc: string) =>
    http.get<{ procuratorate: string; prosecutors: string[]; next: string | null }>(
      `${W}/rotations/${enc(proc)}`,
    ),

  routed: (queue: string, after: string | null, limit = 20) =>
    http.get<Page<RoutedClue>>("/api/v1/routed-clues" + query({ queue, after, limit })),
  routedClue: (id: string) => http.get<RoutedClueDetail>(`/api/v1/routed-clues/${enc(id)}`),
  reclassify: (id: string, field_code: string, reason: string) =>
    http.post<RoutedClue>(`/api/v1/routed-clues/${enc(id)}/reclassify`, { field_code, reason }),
  transfer: (id: string, to: string, reason: string) =>
    http.post<Transfer>(`/api/v1/routed-clues/${enc(id)}/transfer`, { to, reason }),
  split: (id: string, reason: string) =>
    http.post<unknown>(`/api/v1/routed-clues/${enc(id)}/split`, { reason }),
  routerDecide: (id: string, body: Record<string, unknown>) =>
    http.post<RoutedClue>(`/api/v1/routed-clues/${enc(id)}/decide`, body),

  transfers: () => http.get<{ to_answer: Transfer[]; to_decide: Transfer[] }>("/api/v1/transfers"),
  accept: (id: string, reason: string) =>
    http.post<Transfer>(`/api/v1/transfers/${enc(id)}/accept`, reason ? { reason } : {}),
  dispute: (id: string, reason: string) =>
    http.post<Transfer>(`/api/v1/transfers/${enc(id)}/dispute`, { reason }),
  decideTransfer: (id: string, procuratorate: string, reason: string) =>
    http.post<Transfer>(`/api/v1/transfers/${enc(id)}/decide`, { procuratorate, reason }),

  /** The reporter's identity (intake): every answered read is logged. */
  reporter: (clueId: string) => http.get<Reporter>(`/api/v1/clues/${enc(clueId)}/reporter`),
};

// ---- rules ----

export type Action =
  | "take"
  | "assign"
  | "open"
  | "not_opened"
  | "join"
  | "reclassify"
  | "transfer"
  | "split"
  | "route"
  | "reject";

const OPEN_TRANSFER = ["requested", "disputed"];

/** The steps the signed-in user may take on a clue now, in the order the
 *  page shows them: only those its state and the user's role allow
 *  (docs/workflow.md, "The review machine"; docs/api.md, the router's
 *  routed clues).  `review` is null when the workflow has none (a clue
 *  still at the router), `clue` null when the router's view is missing. */
export function allowedActions(
  review: Review | null,
  clue: RoutedClueDetail | null,
  me: Pick<Me, "role" | "subject">,
): Action[] {
  const staff = me.role === "prosecutor" || me.role === "chief_prosecutor";
  if (!staff) return [];
  const chief = me.role === "chief_prosecutor";
  const out: Action[] = [];
  const reviewing = review?.state === "under_review";
  if (reviewing) {
    if (chief) out.push("assign");
    else if (review.assignee !== me.subject) out.push("take");
    if (chief) out.push("open", "not_opened");
    out.push("join");
  }
  if (clue) {
    const c = clue.clue;
    const undecided = !review || review.state === "under_review" || review.state === "triage";
    if (c.status === "review") out.push("route", "reject");
    if (undecided && c.status !== "rejected" && c.status !== "transferred") out.push("reclassify");
    const pending = clue.transfers.some((x) => OPEN_TRANSFER.includes(x.status));
    if (undecided && c.status === "routed" && !pending) out.push("transfer");
    if (clue.cluster && clue.cluster.size > 1 && c.status !== "rejected") out.push("split");
  }
  return out;
}

/** The case kinds a review's field allows (`case_kinds`: administrative,
 *  civil or both), administrative first. */
export function kindsOf(caseKinds: string | string[] | null | undefined): string[] {
  const list = Array.isArray(caseKinds) ? caseKinds : caseKinds === "both" ? ["administrative", "civil"] : caseKinds ? [caseKinds] : [];
  return ["administrative", "civil"].filter((k) => list.includes(k));
}

/** Whether a case may still take a clue (neither closed nor terminated). */
export function caseIsOpen(state: string): boolean {
  return state !== "closed" && state !== "terminated";
}

export interface DecisionForm {
  decision: "open" | "not_opened" | "join";
  case_kind: string;
  title: string;
  harm_ongoing: boolean;
  reason: string;
  public_reason: string;
  case_id: string;
}

/** The form's own check before anything is sent: a message per form
 *  field, the API's limits (docs/api.md, the decide table). */
export function checkDecision(f: DecisionForm): Record<string, string> {
  const e: Record<string, string> = {};
  const need = (k: keyof DecisionForm, label: string) => {
    if (!String(f[k]).trim()) e[k] = fill(t.errors.required, { field: label });
  };
  const max = (k: keyof DecisionForm, label: string, n: number) => {
    if ([...String(f[k]).trim()].length > n) e[k] = fill(P.errors.reasonTooLong, { field: label, max: n });
  };
  if (f.decision === "open") {
    if (!f.case_kind) e.case_kind = fill(t.errors.choose, { field: P.forms.caseKind });
    max("title", P.forms.caseTitle, 200);
    max("reason", P.forms.reasonOptional, 2000);
  } else if (f.decision === "not_opened") {
    need("reason", P.forms.internalReason);
    need("public_reason", P.forms.publicReason);
    max("reason", P.forms.internalReason, 2000);
    max("public_reason", P.forms.publicReason, 500);
  } else {
    if (!f.case_id) e.case_id = fill(t.errors.choose, { field: P.forms.case });
    max("reason", P.forms.reasonOptional, 2000);
  }
  return e;
}

/** What `POST …/reviews/{id}/decide` gets for a decision: only the
 *  members of that decision (another's is 400), with the version the
 *  user decided on. */
export function decisionBody(f: DecisionForm, version: number): Record<string, unknown> {
  const body: Record<string, unknown> = { decision: f.decision, expected_version: version };
  const reason = f.reason.trim();
  if (reason) body.reason = reason;
  if (f.decision === "open") {
    body.case_kind = f.case_kind;
    if (f.title.trim()) body.title = f.title.trim();
    body.harm_ongoing = f.harm_ongoing;
  } else if (f.decision === "not_opened") {
    body.public_reason = f.public_reason.trim();
  } else {
    body.case_id = f.case_id;
  }
  return body;
}

/** How a refused step is told: in Chinese, next to the form field it
 *  names (`key`, one of `keys`) or above the buttons, and whether the page
 *  must reload because the clue changed under the user (409 conflict or
 *  invalid_state: someone else moved it). */
export function stepError(
  e: unknown,
  labels: Record<string, string> = {},
): { key: string | null; text: string; reload: boolean } {
  if (!(e instanceof ApiError)) return { key: null, text: t.errors.network, reload: false };
  const field = e.field ?? "";
  const key = field && field in labels ? field : null;
  if (e.code === "conflict") return { key: null, text: P.clue.conflict, reload: true };
  if (e.code === "invalid_state" && e.field === "to")
    return { key: "to" in labels ? "to" : null, text: P.errors.sameProcuratorate, reload: false };
  if (e.code === "invalid_state") return { key: null, text: P.clue.invalidState, reload: true };
  if (e.code === "network") return { key: null, text: t.errors.network, reload: false };
  const known = P.errors[e.code];
  if (known) return { key, text: known, reload: false };
  const byCode: Record<string, string> = {
    missing_field: t.errors.missing_field,
    invalid_value: t.errors.invalid_value,
    too_long: t.errors.too_long,
  };
  if (key && byCode[e.code]) return { key, text: fill(byCode[e.code], { field: labels[field] }), reload: false };
  if (e.status >= 500) return { key: null, text: t.errors.unavailable, reload: false };
  if (t.errors.codes[e.code]) return { key, text: t.errors.codes[e.code], reload: false };
  return { key, text: fill(t.errors.unknown, { code: e.code, message: e.message }), reload: false };
}

/** The rules whose deadlines a chief may extend (a first tier granted by
 *  the chief prosecutor), from `GET /workflow/time-limits`. */
export function extendableRules(limits: TimeLimit[]): Set<string> {
  return new Set(
    limits.filter((l) => l.extensions.some((x) => x.by_role === "chief_prosecutor")).map((l) => l.rule),
  );
}

/** The case stages where a chief's decision is waiting, by section of the
 *  待我决定 page: the cells of the case machines whose event is the
 *  chief's (docs/workflow.md, "Case state machines"). Terminating is
 *  allowed in every open state, so it is listed only where the case stands
 *  still (suspended: resume or terminate). */
export const CHIEF_STAGES: { section: string; stage: string; kind?: string }[] = [
  { section: "suggestion", stage: "investigating", kind: "administrative" },
  { section: "suggestion", stage: "consulting", kind: "administrative" },
  { section: "suit", stage: "review_for_suit" },
  { section: "terminate", stage: "investigating_suspended" },
  { section: "terminate", stage: "consulting_suspended" },
  { section: "terminate", stage: "following_up_suspended" },
  { section: "terminate", stage: "review_for_suit_suspended" },
];

/** A short, readable label of a clue id (its first 8 hex digits). */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** The titles of clues (the router has them, the workflow's reviews do
 *  not), fetched for the rows on screen, four at a time, and kept for the
 *  page load. */
export const titles = reactive(new Map<string, string>());
const asked = new Set<string>();

export async function loadTitles(ids: string[]): Promise<void> {
  const todo = ids.filter((id) => !asked.has(id));
  todo.forEach((id) => asked.add(id));
  const next = async (): Promise<void> => {
    const id = todo.shift();
    if (!id) return;
    try {
      titles.set(id, (await cluesApi.routedClue(id)).clue.title);
    } catch {
      asked.delete(id); // asked again the next time the row is shown
    }
    return next();
  };
  await Promise.all([next(), next(), next(), next()]);
}
