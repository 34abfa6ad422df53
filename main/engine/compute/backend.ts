// Which TensorFlow.js backend trains, chosen best-first: webgpu on a hardware GPU adapter (Dawn, any vendor:
// Vulkan, Metal, D3D12), tfjs-node-gpu (CUDA), tfjs-node (native TensorFlow on the CPU), wasm (XNNPACK, with
// the kernels the project adds), cpu (plain JS, same fixes). The native packages are optional dependencies
// whose installers download TensorFlow, so on a machine without internet they are simply absent and wasm
// trains; a software WebGPU adapter (SwiftShader, llvmpipe) is skipped unless --backend webgpu asks for it.
// Every skip says why.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { TextbenchError } from '../errors.ts';
import { FUSED_LSTM_FORWARD } from './rnn-op.ts';
import { loadWasmRnnKernels, registerProjectKernels, wasmRnnKernelsLoaded, type KernelOptions, type KernelPatch } from './kernels.ts';
import { currentAdapter, registerWebGpu, webgpuVersion } from './webgpu/device.ts';
import { adapterLabel } from './webgpu/adapters.ts';
import type { BackendName, DeviceInfo } from '../../../shared/compute.ts';

export type { BackendName };
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** Why each better backend was passed over. */
  skipped: Array<{ name: BackendName; reason: string }>;
  /** Version of the package that provides the backend (e.g. "@tensorflow/tfjs-backend-wasm 4.22.0"). */
  version?: string;
  /** Kernels the project registered for this backend (added where missing, replaced where slow). */
  kernels?: KernelPatch[];
  /** Threads the recurrent layers' WebAssembly kernels run on here; absent where they do not serve this backend. */
  threads?: number;
  /** What trains: "GPU: NVIDIA H200", "GPU (software): SwiftShader …", "CPU: wasm, 2 threads". */
  device: DeviceInfo;
}

/** Makes one backend current or throws an Error whose message says why it cannot. `requested`: named by --backend. */
export type BackendLoader = (name: BackendName, context: { requested: boolean }) => Promise<void>;

export interface InitOptions {
  /** Replaces how a backend is loaded; tests use it to simulate a backend that fails here. */
  loader?: BackendLoader;
  kernels?: KernelOptions;
}

const require = createRequire(import.meta.url);

/** The npm package behind each backend, and why a person would or would not have it. */
export const BACKEND_PACKAGES: Record<BackendName, { pkg: string; missing: string }> = {
  webgpu: {
    pkg: 'webgpu',
    missing: 'the optional package webgpu (Dawn, which gives Node access to the GPU) is not installed: npm install webgpu',
  },
  'tensorflow-gpu': {
    pkg: '@tensorflow/tfjs-node-gpu',
    missing:
      '@tensorflow/tfjs-node-gpu is not installed (it needs an NVIDIA GPU with CUDA and cuDNN, and downloads TensorFlow at install time, which needs internet): npm install @tensorflow/tfjs-node-gpu',
  },
  tensorflow: {
    pkg: '@tensorflow/tfjs-node',
    missing:
      '@tensorflow/tfjs-node is not installed (it downloads TensorFlow at install time, which needs internet): npm install @tensorflow/tfjs-node',
  },
  wasm: {
    pkg: '@tensorflow/tfjs-backend-wasm',
    missing: '@tensorflow/tfjs-backend-wasm is not installed: reinstall Textbench (npm install)',
  },
  cpu: { pkg: '@tensorflow/tfjs-core', missing: '@tensorflow/tfjs is not installed: reinstall Textbench (npm install)' },
};

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(name);
}

/** "@tensorflow/tfjs-backend-wasm 4.22.0", or undefined when the package cannot be found. */
export function backendVersion(name: BackendName): string | undefined {
  if (name === 'webgpu') return webgpuVersion();
  const { pkg } = BACKEND_PACKAGES[name];
  try {
    const file = require.resolve(`${pkg}/package.json`);
    const { version } = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string };
    return version ? `${pkg} ${version}` : pkg;
  } catch (err) {
    if (isModuleNotFound(err)) return undefined;
    throw err;
  }
}

/** A package that cannot even be resolved is not installed. */
export function resolvable(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch (err) {
    if (isModuleNotFound(err)) return false;
    throw err;
  }
}

export type { DeviceInfo };

/** What the current backend computes on. */
/** `rnnThreads`: the threads the recurrent layers' WebAssembly kernels run on, where they serve this backend. */
export function describeDevice(name: BackendName, rnnThreads?: number): DeviceInfo {
  if (name === 'webgpu') {
    const adapter = currentAdapter();
    return adapter ? { kind: 'gpu', label: adapterLabel(adapter), adapter } : { kind: 'gpu', label: 'GPU: WebGPU' };
  }
  if (name === 'tensorflow-gpu') return { kind: 'gpu', label: 'GPU: CUDA (TensorFlow native)' };
  if (name === 'tensorflow') return { kind: 'cpu', label: 'CPU: TensorFlow native' };
  if (name === 'wasm') {
    // tfjs-backend-wasm's threaded build starts its workers from blob: URLs, which Node's worker_threads refuse,
    // so in Node it runs on one thread (see probe-child.ts); the recurrent layers, most of a recurrent model's
    // time, run on the project's own kernels and their threads (rnn-wasm.ts).
    const threads = Math.max(wasmThreads, rnnThreads ?? 1);
    return { kind: 'cpu', label: `CPU: wasm, ${threads} thread${threads === 1 ? '' : 's'}` };
  }
  return { kind: 'cpu', label: 'CPU: JavaScript (cpu backend)' };
}

function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : typeof err === 'object' && err && 'message' in err ? String(err.message) : String(err);
  return msg.split('\n')[0]!.trim();
}

/**
 * tf.setBackend() does not throw when a backend fails to start: it logs the error with console.warn
 * and returns false. This runs it with console.warn captured, so the reason reaches the person
 * through the `skipped` list instead of as stray output.
 */
export async function setBackendExplained(tfName: string): Promise<void> {
  const captured: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void captured.push(args);
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
  } finally {
    console.warn = warn;
  }
  // On success, whatever was warned meanwhile (possibly by other code) goes out as it came in.
  if (ok) for (const args of captured) console.warn(...args);
  const warnings = captured.map((args) => args.map((a) => firstLine(a)).join(' '));
  if (!ok) {
    const detail = warnings.filter((w) => !/^Initialization of backend .* failed$/.test(w)).join('; ');
    throw new Error(`the ${tfName} backend did not start${detail ? `: ${detail}` : ''}`);
  }
}

function loadNative(name: 'tensorflow-gpu' | 'tensorflow'): void {
  const { pkg, missing } = BACKEND_PACKAGES[name];
  try {
    require(pkg);
  } catch (err) {
    // Not found as a whole package → not installed; anything else → installed but broken.
    if (isModuleNotFound(err) && firstLine(err).includes(pkg)) throw new Error(missing);
    throw new Error(
      `${pkg} is installed but its native TensorFlow library did not load (${firstLine(err)}); reinstall it with internet access: npm rebuild ${pkg}`,
    );
  }
}

let wasmPathsSet = false;
/** Threads the wasm backend computes on, once it has started. */
let wasmThreads = 1;

/** The real loader: imports the package behind a backend and makes it current. */
export const defaultBackendLoader: BackendLoader = async (name, context) => {
  if (name === 'webgpu') {
    if (!resolvable(BACKEND_PACKAGES.webgpu.pkg)) throw new Error(BACKEND_PACKAGES.webgpu.missing);
    await registerWebGpu({ allowSoftware: context.requested });
    await setBackendExplained('webgpu');
    return;
  }
  if (name === 'tensorflow-gpu' || name === 'tensorflow') {
    loadNative(name);
    await setBackendExplained('tensorflow');
    return;
  }
  if (name === 'wasm') {
    let wasmFile: string;
    try {
      wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    } catch (err) {
      if (isModuleNotFound(err)) throw new Error(BACKEND_PACKAGES.wasm.missing);
      throw err;
    }
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // setWasmPaths throws once the backend has initialised, so it is set once per process.
    if (!wasmPathsSet) {
      wasm.setWasmPaths(path.dirname(wasmFile) + path.sep);
      wasmPathsSet = true;
    }
    await setBackendExplained('wasm');
    wasmThreads = wasm.getThreadsCount();
    return;
  }
  await setBackendExplained('cpu');
  // tfjs prints a banner recommending tfjs-node the first time the cpu backend holds data; the
  // doctor and `skipped` already explain that, so the banner would only be noise on stderr.
  const cpu = tf.backend() as unknown as { firstUse?: boolean };
  if ('firstUse' in cpu) cpu.firstUse = false;
};

/**
 * TEXTBENCH_RNN_KERNELS picks the recurrent kernels of wasm and cpu where the caller does not: `js` (the JavaScript
 * fallback), `simd-plain` (WebAssembly SIMD without fused multiply-adds) or `simd` (the default). For comparing them
 * end to end (`textbench train`, benchmarks); `textbench backends` and a run's kernel list say which ran.
 */
function rnnKernelsFromEnv(): KernelOptions {
  const v = process.env.TEXTBENCH_RNN_KERNELS;
  if (v === undefined || v === '' || v === 'simd') return {};
  if (v === 'js') return { rnn: 'js' };
  if (v === 'simd-plain') return { fma: false };
  throw new TextbenchError(`TEXTBENCH_RNN_KERNELS must be simd, simd-plain or js, not "${v}".`, 'backend_unknown', { field: 'TEXTBENCH_RNN_KERNELS', value: v });
}

/**
 * Picks the best backend that loads here (or the requested one), makes it current and registers
 * the project's kernels for it. `requested` comes from --backend; an unknown or unavailable one
 * is an error that says what to do, never a silent fallback.
 */
export async function initBackend(requested?: BackendName | string, options: InitOptions = {}): Promise<BackendInfo> {
  const loader = options.loader ?? defaultBackendLoader;
  if (requested !== undefined && !isBackendName(requested)) {
    throw new TextbenchError(
      `Unknown backend "${requested}" (--backend). Choose one of: ${BACKEND_ORDER.join(', ')}; or leave --backend out to use the best one that loads here.`,
      'backend_unknown',
      { field: 'backend', value: requested },
    );
  }
  const order: readonly BackendName[] = requested ? [requested] : BACKEND_ORDER;
  const skipped: BackendInfo['skipped'] = [];
  options = { ...options, kernels: { ...rnnKernelsFromEnv(), ...options.kernels } };
  for (const name of order) {
    try {
      await loader(name, { requested: requested !== undefined });
      await tf.ready();
    } catch (err) {
      skipped.push({ name, reason: firstLine(err) });
      continue;
    }
    // The WebAssembly SIMD recurrent kernels serve both the wasm and the cpu backend (they bring their own module).
    if ((name === 'wasm' || name === 'cpu') && options.kernels?.fast !== false && options.kernels?.rnn !== 'js') await loadWasmRnnKernels(options.kernels?.threads, { fma: options.kernels?.fma !== false });
    const kernels = registerProjectKernels(tf.getBackend(), options.kernels);
    const simd = kernels.some((k) => k.kernel === FUSED_LSTM_FORWARD && k.detail?.startsWith('WebAssembly'));
    const threads = simd ? wasmRnnKernelsLoaded()?.info.threads : undefined;
    return { name, skipped, version: backendVersion(name), kernels, ...(threads ? { threads } : {}), device: describeDevice(name, threads) };
  }
  if (requested) {
    throw new TextbenchError(
      `The ${requested} backend was requested (--backend ${requested}) but it does not load here: ${skipped[0]?.reason}. ` +
        'Run `textbench backends` to see which backends load, or leave --backend out to use the best one that does.',
      'backend_unavailable',
      { field: 'backend', value: requested, reason: skipped[0]?.reason },
    );
  }
  throw new TextbenchError(
    `No TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}. Reinstall Textbench (npm install) and run \`textbench backends\`.`,
    'backend_none',
    { skipped },
  );
}
