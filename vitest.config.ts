import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (f: string) => fileURLToPath(new URL(`./src/${f}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples import the package by name, as users do; in the repo that name is the source.
    alias: [
      { find: /^quorumkit$/, replacement: src('index.ts') },
      { find: /^quorumkit\/node$/, replacement: src('node.ts') },
      { find: /^quorumkit\/testing$/, replacement: src('testing.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
