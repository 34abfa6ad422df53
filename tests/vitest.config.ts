import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import path from 'node:path';
import { useSoftwareGpu } from './fixtures/software-gpu.ts';

// Before any test process starts: they inherit the Vulkan setup that makes SwiftShader the tests' GPU.
useSoftwareGpu();

const root = path.resolve(import.meta.dirname, '..');

// Unit-test files that are slow by nature (they train, compare with sklearn or PyTorch in Python, compile C, start
// processes or a software GPU): they run with the integration tests' time limit, where they are.
const SLOW_UNIT = [
  'app-start',
  'bundle-safety',
  'compute-backends',
  'compute-fused-rnn',
  'compute-wasm-build',
  'compute-webgpu-rnn',
  'linear-solver-sklearn',
  'pretrain-subword',
  'recipes-structure',
  'tfidf-sklearn',
].map((name) => `tests/unit/${name}.test.ts`);

// Three projects with their own time limits (`npm test -- --project unit` runs one):
//   unit         small and fast (30 s a test at most, on a busy 2-core machine): a test that needs longer is slow by mistake, or it is an integration test
//                (a test that must train or start a process may set its own limit, with the reason beside it);
//   integration  real training, real processes and the CLI on real data;
//   browser      the app in a real Chromium (tests/e2e).
export default defineConfig({
  root,
  plugins: [svelte({ configFile: false })],
  test: {
    exclude: ['tests/bench/**', 'node_modules/**'],
    // Training tests are CPU-bound; two cores here, so at most two test files at once.
    maxWorkers: 2,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], exclude: [...SLOW_UNIT, 'node_modules/**'], testTimeout: 30_000, hookTimeout: 30_000 } },
      { extends: true, test: { name: 'integration', include: ['tests/integration/**/*.test.ts', ...SLOW_UNIT], testTimeout: 180_000, hookTimeout: 180_000 } },
      { extends: true, test: { name: 'browser', include: ['tests/e2e/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 180_000 } },
    ],
  },
});
