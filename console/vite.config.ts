import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// Static files for the nginx edge (docs/console.md): same origin as the
// APIs, so no proxy and no CORS.  `npm run build` writes dist/.
export default defineConfig({
  plugins: [vue()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
});
