// The APIs, same origin (the edge routes /api/v1/ to the services).  Every
// failure becomes an ApiError with the API's code and field, which the
// pages show next to the field it concerns (docs/api.md, the error shape).
//
// A signed-in user's token is in the HttpOnly cookie gy_session, which the
// browser sends by itself and no script can read (docs/console.md, "Where
// the token lives").  Every request carries X-Gongyi-Console: the services
// refuse a state-changing request authenticated by the cookie without it,
// and no other site can add it (it would need a CORS preflight that the
// edge never grants).

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    public field: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** Called when a signed-in request finds the session gone (401), so the
 *  console can send the user to the login page; set by session.ts. */
let onSignedOut: (() => void) | null = null;
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  credentials: RequestCredentials = "same-origin",
): Promise<T> {
  let r: Response;
  const sent: Record<string, string> = { "X-Gongyi-Console": "1", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  try {
    r = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials,
    });
  } catch {
    throw new ApiError(0, "network", null, "network");
  }
  const text = await r.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!r.ok) {
    const e = (data as { error?: { code?: string; field?: string | null; message?: string } })
      ?.error;
    const error = new ApiError(
      r.status,
      e?.code ?? "unavailable",
      e?.field ?? null,
      e?.message ?? text,
    );
    if (r.status === 401 && !path.startsWith("/api/v1/auth/") && onSignedOut) onSignedOut();
    throw error;
  }
  return data as T;
}

/** A query string from the members that are set (undefined, null and ""
 *  are left out), "" when none is. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Any API, for the signed-in pages: each page's module names its own
 *  endpoints (e.g. `http.get<Page<Review>>("/api/v1/workflow/reviews" +
 *  query({queue: "mine"}))`). */
export const http = {
  get: <T>(path: string) => call<T>("GET", path),
  post: <T>(path: string, body: unknown = {}, headers?: Record<string, string>) =>
    call<T>("POST", path, body, headers),
  put: <T>(path: string, body: unknown) => call<T>("PUT", path, body),
  del: <T>(path: string) => call<T>("DELETE", path),
};

/** A keyset page (docs/api.md): `next` is the `after` of the next page,
 *  null on the last. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface Field {
  code: string;
  name_zh: string;
  name_en: string;
  case_kinds: string[];
  min_level: string;
  description_zh: string;
}
export interface Region {
  code: string;
  parent: string | null;
  level: string;
  name_zh: string;
  procuratorate_zh: string;
}
export interface Submitted {
  id: string;
  receipt_code: string;
  status: string;
}
export interface Step {
  step: string;
  at: string;
  label?: string;
  reason?: string;
  procuratorate?: { code: string; name: string };
  from?: { code: string; name: string };
}
export interface Progress {
  receipt_code: string;
  status: string;
  field_code: string;
  region_code: string;
  received_at: string;
  timeline: Step[];
}

export const api = {
  fields: () => call<{ fields: Field[] }>("GET", "/api/v1/reference/fields"),
  regions: () => call<{ regions: Region[] }>("GET", "/api/v1/reference/regions"),
  /** A report: linked to the volunteer whose session sends it; anyone
   *  else (the public, and staff, whose session intake refuses for a
   *  report) sends it without the cookie, as the public. */
  submit: (clue: unknown, asVolunteer: boolean) =>
    call<Submitted>("POST", "/api/v1/clues", clue, {}, asVolunteer ? "same-origin" : "omit"),
  progress: (code: string) =>
    call<Progress>("GET", `/api/v1/clues/${encodeURIComponent(code)}`),
};

// The formatters are made once: making one costs about a millisecond, which
// a table of times would pay on every cell.
let dayFormat: Intl.DateTimeFormat | null = null;
let timeFormat: Intl.DateTimeFormat | null = null;

/** A day (YYYY-MM-DD) in Beijing time. */
export function beijingDate(iso: string): string {
  if (!dayFormat)
    dayFormat = new Intl.DateTimeFormat("en-CA", {
      timeZone: "Asia/Shanghai",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
  return dayFormat.format(new Date(iso));
}

/** An instant in Beijing time, as the pages show every time. */
export function beijing(iso: string): string {
  if (!timeFormat)
    timeFormat = new Intl.DateTimeFormat("zh-CN", {
      timeZone: "Asia/Shanghai",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
    });
  return timeFormat.format(new Date(iso));
}
