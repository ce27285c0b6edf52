// Gathers what the upper levels' pages count: every case in the caller's
// scope, the due_soon and overdue queues, and the clues under review, page
// by page (100 a page), the four lists at once.
import { reactive } from "vue";
import { ApiError, http, query, type Page } from "../../api";
import { fill, t } from "../../i18n/zh-CN";
import { pageAll, type CaseItem, type ReviewItem, type ScopeData } from "./aggregate";

const LIMIT = 100;

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

/** The loading state a page shows: how many cases and clues came so far. */
export function useScopeLoader() {
  const state = reactive({
    loading: false,
    cases: 0,
    reviews: 0,
    error: "",
    data: null as ScopeData | null,
    at: "",
  });

  async function load(): Promise<void> {
    state.loading = true;
    state.error = "";
    state.cases = 0;
    state.reviews = 0;
    try {
      const [all, dueSoon, overdue, waiting] = await Promise.all([
        cases("all", (n) => (state.cases = n)),
        cases("due_soon", () => undefined),
        cases("overdue", () => undefined),
        reviews((n) => (state.reviews = n)),
      ]);
      state.data = { cases: all, dueSoon, overdue, reviews: waiting };
      state.at = new Date().toISOString();
    } catch (e) {
      state.error = loadError(e);
    } finally {
      state.loading = false;
    }
  }

  return { state, load };
}

/** A failed load, in plain Chinese. */
export function loadError(e: unknown): string {
  if (!(e instanceof ApiError)) return t.upper.errors.unavailable;
  if (e.code === "network") return t.upper.errors.network;
  if (e.status === 403) return t.upper.errors.forbidden;
  if (e.status >= 500) return t.upper.errors.unavailable;
  return fill(t.upper.errors.other, { code: e.code, message: e.message });
}
