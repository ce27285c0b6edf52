import { createRouter, createWebHistory } from "vue-router";

// The public pages; the volunteers', prosecutors', chiefs' and
// administrators' pages come as routes of their own (issue 10).
export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: "/", component: () => import("./pages/PublicSubmit.vue") },
    { path: "/receipt/:code", component: () => import("./pages/PublicReceipt.vue"), props: true },
    { path: "/follow", component: () => import("./pages/PublicFollow.vue") },
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});
