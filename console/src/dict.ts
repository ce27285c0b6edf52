// 字典: the names of coded values, from the reference data APIs, loaded once
// per page load and shared by every page.  A page awaits `loadDict()` (or
// renders codes until it resolves: the maps are reactive).
import { reactive } from "vue";
import { api, type Field, type Region } from "./api";
import { t } from "./i18n/zh-CN";

export const dict = reactive({
  fields: new Map<string, Field>(),
  regions: new Map<string, Region>(),
  loaded: false,
});

let loading: Promise<void> | null = null;

export function loadDict(): Promise<void> {
  if (!loading)
    loading = Promise.all([api.fields(), api.regions()])
      .then(([f, r]) => {
        for (const x of f.fields) dict.fields.set(x.code, x);
        for (const x of r.regions) dict.regions.set(x.code, x);
        dict.loaded = true;
      })
      .catch((e) => {
        loading = null; // the next page asks again
        throw e;
      });
  return loading;
}

/** A field's Chinese name, or its code until the dictionary is loaded. */
export function fieldName(code: string | null | undefined): string {
  if (!code) return "";
  return dict.fields.get(code)?.name_zh ?? code;
}

/** A region's name (平城区). */
export function regionName(code: string | null | undefined): string {
  if (!code) return "";
  return dict.regions.get(code)?.name_zh ?? code;
}

/** A procuratorate's name (大同市平城区人民检察院). */
export function procName(code: string | null | undefined): string {
  if (!code) return "";
  return dict.regions.get(code)?.procuratorate_zh ?? code;
}

/** The regions directly below one (a city's counties), in the list's order. */
export function childrenOf(code: string): Region[] {
  return [...dict.regions.values()].filter((r) => r.parent === code);
}

/** A public step of a clue's timeline (docs/api.md): the workflow's own
 *  wording when the step came with one, else the timeline's (t.steps), else
 *  its code (a step added to the API before the console knew it). */
export function stepName(step: string, label?: string | null): string {
  return label || t.steps[step] || step;
}
