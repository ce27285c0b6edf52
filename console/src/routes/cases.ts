import type { RouteRecordRaw } from "vue-router";

// The case pages (list, case): children of /work with meta.roles and the
// menu's meta (routes/meta.ts).
export const casesRoutes: RouteRecordRaw[] = [];
