import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['lcov', 'json', 'json-summary'],
      reportsDirectory: process.env.COVERAGE_DIR ?? 'coverage',
    },
  },
});
