/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into Django's static dir with fixed names (one per page: the editor, the training panel,
// knowledge bases, the Tools page, the Model providers page, the portal's apps, app and run pages);
// the templates add a version query.
export default defineConfig({
  plugins: [react()],
  base: "/static/dist/web/",
  build: {
    outDir: "../static/dist/web",
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: { editor: "src/main.tsx", training: "src/training/main.tsx", knowledge: "src/knowledge/main.tsx", tools: "src/tools/main.tsx", providers: "src/providers/main.tsx", portal: "src/portal/main.ts" },
      output: {
        entryFileNames: "[name].js",
        chunkFileNames: "shared-[name].js",
        assetFileNames: "[name][extname]",
      },
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
