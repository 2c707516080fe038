import { defineConfig } from 'vitest/config';

// Node-side tests. Browser tests of the element and media run under @web/test-runner
// (web-test-runner.config.mjs); end-to-end tests drive Chromium with playwright-core.
// The projects run one after another (`sequence.groupOrder`): on two cores, Chromium pages
// encoding video next to ffmpeg, relays and nats-server clusters starve each other, and the
// timing-sensitive failover and layer-switch tests failed by turns when they shared the machine.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: [
            'test/unit/**/*.test.ts',
            'test/protocol/**/*.test.ts',
            'test/server/**/*.test.ts',
            'test/webtransport/**/*.test.ts',
            'test/sim/**/*.test.ts',
            'test/cli/**/*.test.ts',
          ],
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'nats',
          // Relays on real nats-server clusters the tests start, kill and restart: one file at a
          // time, so timing-sensitive failover tests don't compete for two cores with each other.
          include: ['test/nats/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Each file drives several Chromium pages; two cores can't take two files at once.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
