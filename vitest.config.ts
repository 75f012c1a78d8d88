import { defineConfig } from "vitest/config";

// Three projects, one command: the engine in Node, the Worker inside workerd, the service
// worker in real Chromium.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
    ],
  },
});
