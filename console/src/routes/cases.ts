import type { RouteRecordRaw } from "vue-router";
import { t } from "../i18n/zh-CN";
import { STAFF } from "./meta";

// The case pages (list, case): children of /work with meta.roles and the
// menu's meta (routes/meta.ts).  The list takes ?queue=&stage=&kind=
// &procuratorate= so that other pages (the dashboard) link into it; the
// case takes ?tab= (timeline, deadlines, documents, hearings,
// consultations, supervision, impact).
export const casesRoutes: RouteRecordRaw[] = [
  {
    path: "cases",
    component: () => import("../pages/cases/CaseList.vue"),
    meta: { title: t.cases.list.title, roles: STAFF, menu: true, group: "handling", order: 20 },
  },
  {
    path: "cases/:id",
    component: () => import("../pages/cases/CaseDetail.vue"),
    meta: { title: t.cases.detail.title, roles: STAFF },
  },
];
