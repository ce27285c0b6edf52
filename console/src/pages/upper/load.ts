// Gathers what the upper levels' pages count: every case in the caller's
// scope, the due_soon and overdue queues, and the clues under review, page
// by page (100 a page), the four lists at once.  One state for both pages,
// so that the route can start the requests while the page's code is still
// coming (routes/upper.ts), and a page opened right after the other uses
// what was just loaded.
import { reactive } from "vue";
import { ApiError, http, query, type Page } from "../../api";
import { fill, t } from "../../i18n/zh-CN";
import { session } from "../../session";
import { pageAll, type CaseItem, type ReviewItem, type ScopeData } from "./aggregate";

const LIMIT = 100;
/** How long a load is good for a page that opens without asking for a new one. */
const FRESH_MS = 10_000;

function cases(queue: string, progress: (n: number) => void): Promise<CaseItem[]> {
  return pageAll(
    (after) =>
      http.get<Page<CaseItem>>("/api/v1/workflow/cases" + query({ queue, limit: LIMIT, after })),
    progress,
  );
}

function reviews(progress: (n: number) => void): Promise<ReviewItem[]> {
  return pageAll(
    (after) =>
      http.get<Page<ReviewItem>>("/api/v1/workflow/reviews" + query({ limit: LIMIT, after })),
    progress,
  );
}

/** The loading state the pages show: how many cases and clues came so far. */
export const scope = reactive({
  loading: false,
  cases: 0,
  reviews: 0,
  error: "",
  data: null as ScopeData | null,
  /** When the data was loaded (ISO). */
  at: "",
});

let pending: Promise<void> | null = null;
let startedAt = 0;
let owner = "";

const who = () => (session.me ? `${session.me.subject}@${session.me.procuratorate}` : "");

async function fetchAll(): Promise<void> {
  scope.loading = true;
  scope.error = "";
  scope.cases = 0;
  scope.reviews = 0;
  try {
    const [all, dueSoon, overdue, waiting] = await Promise.all([
      cases("all", (n) => (scope.cases = n)),
      cases("due_soon", () => undefined),
      cases("overdue", () => undefined),
      reviews((n) => (scope.reviews = n)),
    ]);
    scope.data = { cases: all, dueSoon, overdue, reviews: waiting };
    scope.at = new Date().toISOString();
  } catch (e) {
    scope.error = loadError(e);
  } finally {
    scope.loading = false;
  }
}

/** Loads the lists: `fresh` always asks again (the 重新载入 button);
 *  otherwise a load under way or done in the last seconds for the same
 *  user is used. */
export function loadScope({ fresh = false }: { fresh?: boolean } = {}): Promise<void> {
  const me = who();
  if (me !== owner) {
    owner = me;
    pending = null;
    scope.data = null; // another user's numbers are never shown
  }
  if (pending && (scope.loading || (!fresh && Date.now() - startedAt < FRESH_MS && !scope.error)))
    return pending;
  startedAt = Date.now();
  pending = fetchAll();
  return pending;
}

/** The pages' use of it. */
export function useScopeLoader() {
  return {
    state: scope,
    load: (fresh = true) => loadScope({ fresh }),
  };
}

/** A failed load, in plain Chinese. */
export function loadError(e: unknown): string {
  if (!(e instanceof ApiError)) return t.upper.errors.unavailable;
  if (e.code === "network") return t.upper.errors.network;
  if (e.status === 403) return t.upper.errors.forbidden;
  if (e.status >= 500) return t.upper.errors.unavailable;
  if (e.code in t.errors.codes) return t.errors.codes[e.code];
  return fill(t.upper.errors.other, { code: e.code, message: e.message });
}
