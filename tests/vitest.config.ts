import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import path from 'node:path';
import { useSoftwareGpu } from './fixtures/software-gpu.ts';

// Before any test process starts: they inherit the Vulkan setup that makes SwiftShader the tests' GPU.
useSoftwareGpu();

const root = path.resolve(import.meta.dirname, '..');

export default defineConfig({
  root,
  plugins: [svelte({ configFile: false })],
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/bench/**', 'node_modules/**'],
    // Training tests are CPU-bound; two cores here, so at most two test files at once.
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
