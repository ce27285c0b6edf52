import type { RouteRecordRaw } from "vue-router";
import { t } from "../i18n/zh-CN";
import { STAFF } from "./meta";

// The administrators' pages (and those the managers share): children of
// /work with meta.roles and the menu's meta (routes/meta.ts).  Who may
// call each API is the services' rule (docs/api.md); the roles here only
// keep a page out of the menu of those it would refuse.
export const adminRoutes: RouteRecordRaw[] = [
  {
    path: "volunteers",
    component: () => import("../pages/admin/Volunteers.vue"),
    meta: { title: t.admin.menu.volunteers, roles: [...STAFF, "admin"], menu: true, group: "admin", order: 80 },
  },
  {
    path: "hearing-pool",
    component: () => import("../pages/admin/HearingPool.vue"),
    meta: { title: t.admin.menu.hearingPool, roles: ["chief_prosecutor", "admin"], menu: true, group: "admin", order: 81 },
  },
  {
    path: "calendar",
    component: () => import("../pages/admin/Calendar.vue"),
    meta: { title: t.admin.menu.calendar, roles: [...STAFF, "admin"], menu: true, group: "admin", order: 82 },
  },
  {
    path: "tokens",
    component: () => import("../pages/admin/Tokens.vue"),
    meta: { title: t.admin.menu.tokens, roles: ["admin"], menu: true, group: "admin", order: 83 },
  },
  {
    path: "reference",
    component: () => import("../pages/admin/Reference.vue"),
    meta: {
      title: t.admin.menu.reference,
      roles: ["volunteer", ...STAFF, "admin"],
      menu: true,
      group: "admin",
      order: 84,
    },
  },
];
