import { createApp } from "vue";
import App from "./App.vue";
import { router } from "./router";
import "./style.css";

// Element Plus components are not registered here: the build imports each
// one a page's template uses, with its own stylesheet, into that page's
// chunk (vite.config.ts), so the public pages' first load carries only
// theirs.
const app = createApp(App);
app.use(router);
app.mount("#app");
