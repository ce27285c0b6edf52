import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
import Components from "unplugin-vue-components/vite";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";

// Static files for the nginx edge (docs/console.md): same origin as the
// APIs, so no proxy and no CORS.  `npm run build` writes dist/.
//
// Element Plus on demand: each <el-…> tag (and v-loading) a template uses
// is imported into that component, with the component's own stylesheet,
// by unplugin-vue-components; src/components.d.ts (written by the plugin,
// committed) gives vue-tsc their types.
export default defineConfig({
  plugins: [
    vue(),
    Components({
      dirs: [],
      resolvers: [ElementPlusResolver({ importStyle: "css", directives: true })],
      dts: "src/components.d.ts",
    }),
  ],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
});
