import type { RouteRecordRaw } from "vue-router";
import { t } from "../i18n/zh-CN";

// The volunteers' signed-in pages: children of /work (the frame with the
// side menu), each with meta.roles and, for the menu, meta.menu/group/order
// (routes/meta.ts).
export const volunteerRoutes: RouteRecordRaw[] = [
  {
    path: "tasks",
    component: () => import("../pages/volunteer/Tasks.vue"),
    meta: { title: t.volunteer.menu.tasks, roles: ["volunteer"], menu: true, group: "volunteer", order: 10 },
  },
  {
    path: "clues",
    component: () => import("../pages/volunteer/Clues.vue"),
    meta: { title: t.volunteer.menu.clues, roles: ["volunteer"], menu: true, group: "volunteer", order: 11 },
  },
  {
    path: "me",
    component: () => import("../pages/volunteer/Me.vue"),
    meta: { title: t.volunteer.menu.me, roles: ["volunteer"], menu: true, group: "volunteer", order: 12 },
  },
];

// Pages of this area that need no account (the application form), with
// the public pages' bar.
export const volunteerPublicRoutes: RouteRecordRaw[] = [
  {
    path: "/apply",
    component: () => import("../pages/volunteer/Apply.vue"),
    meta: { title: t.volunteer.apply.title },
  },
  {
    path: "/apply/done",
    component: () => import("../pages/volunteer/Applied.vue"),
    meta: { title: t.volunteer.applied.title },
  },
];
