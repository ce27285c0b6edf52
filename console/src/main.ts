import { createApp } from "vue";
import {
  ElAlert,
  ElButton,
  ElCascader,
  ElCheckbox,
  ElConfigProvider,
  ElForm,
  ElFormItem,
  ElInput,
  ElOption,
  ElSelect,
  ElTimeline,
  ElTimelineItem,
} from "element-plus";
import "element-plus/dist/index.css";
import App from "./App.vue";
import { router } from "./router";
import "./style.css";

// Element Plus component by component, so the bundle carries only those
// the pages use.
const app = createApp(App);
for (const c of [
  ElAlert,
  ElButton,
  ElCascader,
  ElCheckbox,
  ElConfigProvider,
  ElForm,
  ElFormItem,
  ElInput,
  ElOption,
  ElSelect,
  ElTimeline,
  ElTimelineItem,
])
  app.use(c);
app.use(router);
app.mount("#app");
