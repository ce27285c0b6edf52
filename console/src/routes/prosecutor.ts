import type { RouteRecordRaw } from "vue-router";
import { t } from "../i18n/zh-CN";
import { STAFF } from "./meta";

// The signed-in pages of this area: children of /work (the frame with the
// side menu), each with meta.roles and, for the menu, meta.menu/group/order
// (routes/meta.ts).  The clue review queues, one clue, the transfers, and
// the chief prosecutor's decisions waiting.
const M = t.prosecutor.menu;

export const prosecutorRoutes: RouteRecordRaw[] = [
  {
    path: "reviews",
    component: () => import("../pages/prosecutor/Reviews.vue"),
    meta: { title: M.reviews, roles: STAFF, menu: true, group: "handling", order: 10 },
  },
  {
    path: "reviews/:clueId",
    component: () => import("../pages/prosecutor/Clue.vue"),
    props: true,
    meta: { title: M.clue, roles: STAFF },
  },
  {
    path: "transfers",
    component: () => import("../pages/prosecutor/Transfers.vue"),
    meta: { title: M.transfers, roles: STAFF, menu: true, group: "handling", order: 30 },
  },
  {
    path: "decisions",
    component: () => import("../pages/prosecutor/Decisions.vue"),
    meta: { title: M.decisions, roles: ["chief_prosecutor"], menu: true, group: "decisions", order: 5 },
  },
];
