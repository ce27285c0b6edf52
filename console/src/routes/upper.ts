import type { RouteRecordRaw } from "vue-router";

// The signed-in pages of this area: children of /work (the frame with the
// side menu), each with meta.roles and, for the menu, meta.menu/group/order
// (routes/meta.ts).
export const upperRoutes: RouteRecordRaw[] = [];
