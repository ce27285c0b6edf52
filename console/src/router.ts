import { createRouter, createWebHistory, type RouteLocationNormalized } from "vue-router";
import { t } from "./i18n/zh-CN";
import "./routes/meta";
import { adminRoutes } from "./routes/admin";
import { casesRoutes } from "./routes/cases";
import { prosecutorRoutes } from "./routes/prosecutor";
import { publicRoutes } from "./routes/public";
import { upperRoutes } from "./routes/upper";
import { volunteerPublicRoutes, volunteerRoutes } from "./routes/volunteer";
import { levelOf, loadSession, session, type Me } from "./session";
import { whenSignedOut } from "./api";

// The public pages at the top; every signed-in page is a child of /work,
// the frame with the side menu (layouts/StaffLayout.vue).
export const router = createRouter({
  history: createWebHistory(),
  routes: [
    ...publicRoutes,
    ...volunteerPublicRoutes,
    {
      path: "/work",
      component: () => import("./layouts/StaffLayout.vue"),
      meta: { roles: ["volunteer", "prosecutor", "chief_prosecutor", "admin"] },
      children: [
        { path: "", component: { render: () => null } },
        {
          path: "forbidden",
          component: () => import("./pages/Forbidden.vue"),
          meta: { title: t.staff.frame.forbidden },
        },
        ...volunteerRoutes,
        ...prosecutorRoutes,
        ...casesRoutes,
        ...upperRoutes,
        ...adminRoutes,
      ],
    },
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});

/** Whether the signed-in user may open a route: every matched record's
 *  roles and levels allow them. */
export function allowed(route: Pick<RouteLocationNormalized, "matched">, me: Me): boolean {
  return route.matched.every(
    (r) =>
      (!r.meta.roles || r.meta.roles.includes(me.role)) &&
      (!r.meta.levels || r.meta.levels.includes(levelOf(me.procuratorate))),
  );
}

/** The menu's entries for the signed-in user, grouped and ordered. */
export function menuFor(me: Me) {
  return router
    .getRoutes()
    .filter((r) => r.meta.menu && allowed({ matched: [r] }, me) && r.path.startsWith("/work/"))
    .sort((a, b) => (a.meta.order ?? 0) - (b.meta.order ?? 0));
}

router.beforeEach(async (to) => {
  if (!to.matched.some((r) => r.meta.roles)) return true;
  if (!session.loaded) {
    try {
      await loadSession();
    } catch {
      session.me = null; // the services unreachable: the login page says so
    }
  }
  const me = session.me;
  if (!me) return { path: "/login", query: { next: to.fullPath } };
  if (to.path === "/work" || to.path === "/work/") {
    const first = menuFor(me)[0];
    return first ? first.path : "/work/forbidden";
  }
  if (!allowed(to, me)) return "/work/forbidden";
  return true;
});

// A page change is announced: the tab's title names the page, and the
// focus moves to the main region, so a screen reader starts there.
router.afterEach((to, from) => {
  const title = to.meta.title;
  document.title = title ? `${title} - ${t.site.name}` : t.site.name;
  if (from.matched.length)
    requestAnimationFrame(() => document.getElementById("main")?.focus({ preventScroll: false }));
});

whenSignedOut(() => {
  if (!session.me) return;
  session.me = null;
  session.expired = true;
  const here = router.currentRoute.value;
  if (here.matched.some((r) => r.meta.roles))
    router.push({ path: "/login", query: { next: here.fullPath } });
});
