import type { RouteRecordRaw } from "vue-router";
import { t } from "../i18n/zh-CN";
import { STAFF } from "./meta";

// The upper levels' pages (a city's or a province's prosecutors and
// chiefs): 统计, the dashboard of the cases and clues in scope, which a
// county also has for its own; 下级院, the procuratorates below side by
// side.  Only the dashboard's chunk carries ECharts.  Opening either page
// the first time starts its API requests beside the download of its code
// (pages/upper/load.ts, a small chunk of its own), not after it.
const withData = <T>(page: () => Promise<T>) => () => {
  void import("../pages/upper/load").then((m) => m.loadScope());
  return page();
};

export const upperRoutes: RouteRecordRaw[] = [
  {
    path: "dashboard",
    component: withData(() => import("../pages/upper/Dashboard.vue")),
    meta: {
      title: t.upper.menu.dashboard,
      roles: STAFF,
      levels: ["county", "city", "province"],
      menu: true,
      group: "overview",
      order: 70,
    },
  },
  {
    path: "counties",
    component: withData(() => import("../pages/upper/Counties.vue")),
    meta: {
      title: t.upper.menu.counties,
      roles: STAFF,
      levels: ["city", "province"],
      menu: true,
      group: "overview",
      order: 71,
    },
  },
];
