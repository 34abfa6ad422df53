// Backend choice: best-first fallback with a reason for every skip, --backend overrides that fail
// loudly, and the fall back to cpu when wasm cannot start (simulated through the injectable loader).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_PACKAGES, defaultBackendLoader, initBackend, setBackendExplained, type BackendLoader } from '../../main/engine/compute/backend.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import { resolvable } from '../../main/engine/compute/probe.ts';
import { HARDWARE_GPU } from '../fixtures/software-gpu.ts';
import { defaultThreads } from '../../main/engine/compute/rnn-wasm.ts';

// The wasm label counts the recurrent layers' threads (every core up to 16 by default).
const cpuLabel = `CPU: wasm, ${defaultThreads()} thread${defaultThreads() === 1 ? '' : 's'}`;

const installed = resolvable;
const nativeInstalled = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

/** The real loader, except that the native packages and webgpu behave as on a machine without them. */
const withoutNative: BackendLoader = async (name, context) => {
  if (name === 'tensorflow-gpu' || name === 'tensorflow' || name === 'webgpu') throw new Error(BACKEND_PACKAGES[name].missing);
  return defaultBackendLoader(name, context);
};

async function rejection(p: Promise<unknown>): Promise<TextbenchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TextbenchError);
  return err as TextbenchError;
}

describe('initBackend', () => {
  it.skipIf(nativeInstalled || HARDWARE_GPU)('on this machine (no native TensorFlow, no hardware GPU) picks wasm and says why the others were skipped', async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.skipped.map((s) => s.name)).toEqual(['webgpu', 'tensorflow-gpu', 'tensorflow']);
    // The tests' GPU is SwiftShader (tests/fixtures/software-gpu.ts), or no adapter at all without the webgpu package.
    expect(info.skipped[0]!.reason).toMatch(/SwiftShader.*software.*--backend webgpu|webgpu.*not installed/);
    expect(info.skipped[1]!.reason).toMatch(/@tensorflow\/tfjs-node-gpu is not installed.*npm install @tensorflow\/tfjs-node-gpu/);
    expect(info.skipped[2]!.reason).toMatch(/@tensorflow\/tfjs-node is not installed.*internet.*npm install @tensorflow\/tfjs-node$/);
    expect(info.version).toMatch(/^@tensorflow\/tfjs-backend-wasm \d+\.\d+\.\d+$/);
    expect(info.kernels).toContainEqual({ kernel: 'UnsortedSegmentSum', backend: 'wasm', action: 'added' });
    expect(info.device).toEqual({ kind: 'cpu', label: cpuLabel });
  });

  it('falls back in order when the native backends are missing', async () => {
    const tried: string[] = [];
    const info = await initBackend(undefined, { loader: async (n, c) => (tried.push(n), withoutNative(n, c)) });
    expect(tried).toEqual(['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm']);
    expect(info.name).toBe('wasm');
    expect(info.skipped).toEqual([
      { name: 'webgpu', reason: BACKEND_PACKAGES.webgpu.missing },
      { name: 'tensorflow-gpu', reason: BACKEND_PACKAGES['tensorflow-gpu'].missing },
      { name: 'tensorflow', reason: BACKEND_PACKAGES.tensorflow.missing },
    ]);
  });

  it('falls back to cpu, with its fast kernels, when wasm fails to start', async () => {
    const info = await initBackend(undefined, {
      loader: async (n, c) => {
        if (n === 'wasm') throw new Error('the wasm backend did not start: failed to load wasm binary file (simulated)');
        return withoutNative(n, c);
      },
    });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.skipped.map((s) => s.name)).toEqual(['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm']);
    expect(info.skipped[3]!.reason).toContain('simulated');
    expect(info.kernels).toContainEqual({ kernel: 'UnsortedSegmentSum', backend: 'cpu', action: 'replaced' });
    // Training an embedding works there: the gradient goes through the replaced kernel.
    const g = tf.tidy(() => tf.grad((p: tf.Tensor) => tf.gather(p, tf.tensor1d([1, 1], 'int32')).sum())(tf.zeros([3, 2])).arraySync());
    expect(g).toEqual([[0, 0], [2, 2], [0, 0]]);
  });

  it('with --backend uses exactly that backend', async () => {
    expect((await initBackend('cpu')).name).toBe('cpu');
    const info = await initBackend('wasm');
    expect(info).toMatchObject({ name: 'wasm', skipped: [] });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('with --backend naming one that does not load here, says why and what to do instead of falling back', async () => {
    const err = await rejection(initBackend('tensorflow', { loader: withoutNative }));
    expect(err.code).toBe('backend_unavailable');
    expect(err.message).toContain('--backend tensorflow');
    expect(err.message).toContain('npm install @tensorflow/tfjs-node');
    expect(err.message).toContain('textbench backends');
  });

  it('rejects an unknown backend name with the list of known ones', async () => {
    const err = await rejection(initBackend('tpu'));
    expect(err.code).toBe('backend_unknown');
    expect(err.message).toContain('"tpu"');
    expect(err.message).toContain('webgpu, tensorflow-gpu, tensorflow, wasm, cpu');
  });

  it('takes the recurrent kernels from TEXTBENCH_RNN_KERNELS where the caller does not choose, and rejects other values', async () => {
    const detail = (info: Awaited<ReturnType<typeof initBackend>>): string | undefined => info.kernels?.find((k) => k.kernel === 'TextbenchFusedGru')?.detail;
    try {
      process.env.TEXTBENCH_RNN_KERNELS = 'js';
      expect(detail(await initBackend('wasm', { kernels: { threads: 1 } }))).toMatch(/^JavaScript/);
      process.env.TEXTBENCH_RNN_KERNELS = 'simd-plain';
      expect(detail(await initBackend('wasm', { kernels: { threads: 1 } }))).toBe('WebAssembly SIMD, 1 thread');
      // The caller's choice wins.
      expect(detail(await initBackend('wasm', { kernels: { threads: 1, fma: true } }))).toBe('WebAssembly SIMD, 1 thread, fused multiply-add');
      process.env.TEXTBENCH_RNN_KERNELS = 'simd';
      expect(detail(await initBackend('wasm', { kernels: { threads: 1 } }))).toBe('WebAssembly SIMD, 1 thread, fused multiply-add');
      process.env.TEXTBENCH_RNN_KERNELS = 'fast';
      const err = await rejection(initBackend('wasm'));
      expect(err.message).toContain('TEXTBENCH_RNN_KERNELS must be simd, simd-plain or js, not "fast"');
    } finally {
      delete process.env.TEXTBENCH_RNN_KERNELS;
    }
  });

  it('reports every reason when nothing loads', async () => {
    const err = await rejection(
      initBackend(undefined, {
        loader: async (n) => {
          throw new Error(`${n} broken (simulated)`);
        },
      }),
    );
    expect(err.code).toBe('backend_none');
    for (const n of ['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']) expect(err.message).toContain(`${n}: ${n} broken (simulated)`);
  });
});

describe('setBackendExplained', () => {
  it('turns a backend that fails to start into an error carrying the reason TF.js only logged', async () => {
    tf.registerBackend('textbench-broken', () => {
      throw new Error('simulated init failure');
    });
    try {
      await expect(setBackendExplained('textbench-broken')).rejects.toThrow(/textbench-broken backend did not start: .*simulated init failure/);
    } finally {
      tf.removeBackend('textbench-broken');
    }
  });

  it('passes on warnings that arrive while a backend starts successfully', async () => {
    const seen: unknown[][] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void seen.push(args);
    try {
      tf.registerBackend('textbench-chatty', async () => {
        console.warn('hello from a backend');
        // A fresh instance of the cpu backend's class, so removing it later disposes nothing shared.
        const CpuBackend = tf.findBackend('cpu')!.constructor as new () => tf.KernelBackend;
        return new CpuBackend();
      });
      await setBackendExplained('textbench-chatty');
    } finally {
      console.warn = warn;
      await tf.setBackend('cpu');
      tf.removeBackend('textbench-chatty');
    }
    expect(seen).toContainEqual(['hello from a backend']);
  });
});
