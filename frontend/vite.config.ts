/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into Django's static dir with fixed names; the editor template adds a version query.
export default defineConfig({
  plugins: [react()],
  base: "/static/dist/editor/",
  build: {
    outDir: "../static/dist/editor",
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: "src/main.tsx",
      output: {
        entryFileNames: "editor.js",
        chunkFileNames: "[name].js",
        assetFileNames: "editor[extname]",
      },
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
