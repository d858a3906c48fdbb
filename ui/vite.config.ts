/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The API owns these paths on the same origin; `npm run dev` forwards them to a local API.
const API_PATHS = ["/jobs", "/dlq", "/tasks", "/workers", "/metrics", "/info", "/health", "/dev"];
const API_TARGET = process.env.DTQ_API_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  base: "./",
  server: {
    port: 5173,
    proxy: Object.fromEntries(API_PATHS.map((path) => [path, { target: API_TARGET, changeOrigin: true }])),
  },
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 1000 },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    env: { TZ: "UTC" },
    // one jsdom per worker instead of per file: setup dominated the run; tests clean up after themselves
    isolate: false,
    pool: "threads",
  },
});
