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
// Each component's own stylesheet (with those it depends on), not the
// whole theme: the CSS carries only what the pages draw.
import "element-plus/es/components/alert/style/css";
import "element-plus/es/components/button/style/css";
import "element-plus/es/components/cascader/style/css";
import "element-plus/es/components/checkbox/style/css";
import "element-plus/es/components/config-provider/style/css";
import "element-plus/es/components/form/style/css";
import "element-plus/es/components/form-item/style/css";
import "element-plus/es/components/input/style/css";
import "element-plus/es/components/option/style/css";
import "element-plus/es/components/select/style/css";
import "element-plus/es/components/timeline/style/css";
import "element-plus/es/components/timeline-item/style/css";
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
