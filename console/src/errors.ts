import { ApiError } from "./api";
import { fill, t } from "./i18n/zh-CN";

/** Where a form shows an API error, and what it says in Chinese: next to the
 *  form field it names (`key`, the form's own name for it), or above the
 *  button when it names none the form has (`key` null).  `labels` maps the
 *  API's field paths (e.g. "location.address") to the form's labels, and
 *  `keys` maps a path's first segment to the form field that shows it. */
export function errorText(
  e: ApiError,
  labels: Record<string, string>,
  keys: Record<string, string>,
): { key: string | null; text: string } {
  const field = e.field ?? "";
  const label = labels[field] ?? "";
  const byCode: Record<string, string> = {
    missing_field: t.errors.missing_field,
    invalid_value: t.errors.invalid_value,
    too_long: t.errors.too_long,
    invalid_utf8: t.errors.invalid_utf8,
  };
  let text: string;
  if (e.code === "network") text = t.errors.network;
  else if (e.code === "rate_limited") text = t.errors.rate_limited;
  else if (e.code in byCode && label) text = fill(byCode[e.code], { field: label });
  else if (e.status >= 500) text = t.errors.unavailable;
  else if (e.code in t.errors.codes) text = t.errors.codes[e.code];
  else text = fill(t.errors.unknown, { code: e.code, message: e.message });
  const key = keys[field.split(/[.[]/)[0]] ?? null;
  return { key, text };
}

/** What went wrong, in Chinese, for an action that has no form field to
 *  point at (a button, a page that did not load): the API's code in plain
 *  words, or its own message for a code the console does not know. */
export function apiMessage(e: unknown): string {
  if (!(e instanceof ApiError)) return t.errors.network;
  return errorText(e, {}, {}).text;
}
