// The APIs, same origin (the edge routes /api/v1/ to the services).  Every
// failure becomes an ApiError with the API's code and field, which the
// pages show next to the field it concerns (docs/api.md, the error shape).

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

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let r: Response;
  try {
    r = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
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
    throw new ApiError(r.status, e?.code ?? "unavailable", e?.field ?? null, e?.message ?? text);
  }
  return data as T;
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
  submit: (clue: unknown) => call<Submitted>("POST", "/api/v1/clues", clue),
  progress: (code: string) =>
    call<Progress>("GET", `/api/v1/clues/${encodeURIComponent(code)}`),
};

/** An instant in Beijing time, as the pages show every time. */
export function beijing(iso: string): string {
  const d = new Date(iso);
  return new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(d);
}
