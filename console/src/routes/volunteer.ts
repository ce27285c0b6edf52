import type { RouteRecordRaw } from "vue-router";

// The signed-in pages of this area: children of /work (the frame with the
// side menu), each with meta.roles and, for the menu, meta.menu/group/order
// (routes/meta.ts).
export const volunteerRoutes: RouteRecordRaw[] = [];

// Pages of this area that need no account (the application form), with
// the public pages' bar.
export const volunteerPublicRoutes: RouteRecordRaw[] = [];
