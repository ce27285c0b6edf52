import type { RouteRecordRaw } from "vue-router";
import { t } from "../i18n/zh-CN";

// The public's pages (mobile first) and the login page.
export const publicRoutes: RouteRecordRaw[] = [
  { path: "/", component: () => import("../pages/PublicSubmit.vue"), meta: { title: t.site.nav.submit } },
  {
    path: "/receipt/:code",
    component: () => import("../pages/PublicReceipt.vue"),
    props: true,
    meta: { title: t.receipt.title },
  },
  { path: "/follow", component: () => import("../pages/PublicFollow.vue"), meta: { title: t.site.nav.follow } },
  { path: "/login", component: () => import("../pages/Login.vue"), meta: { title: t.staff.login.title } },
];
