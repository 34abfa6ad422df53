// Starts TensorFlow.js's webgpu backend on an adapter Textbench chose (adapters.ts), inside this process.
//
// @tensorflow/tfjs-backend-webgpu is written for browsers: it expects navigator.gpu and the WebGPU globals
// (GPUBufferUsage, GPUBuffer…), which the npm package `webgpu` (Dawn) provides to Node. Its own registration
// asks for whatever adapter the browser prefers; here the backend is registered with the adapter that was
// surveyed and chosen, so that a software adapter is never used by accident and every run knows which GPU it had.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { TextbenchError } from '../../errors.ts';
import { adapterLabel, adapterName, pickAdapter, surveyAdapters, type ClassifiedAdapter } from './adapters.ts';

const require = createRequire(import.meta.url);

/** The part of Dawn's GPUDevice this module touches (the global WebGPU types are not part of Node's). */
interface DeviceLike {
  lost: Promise<{ reason: string; message: string }>;
  addEventListener(type: 'uncapturederror', listener: (event: { error: { message: string; constructor: { name: string } }; preventDefault(): void }) => void): void;
  limits: Record<string, number>;
}
interface AdapterLike {
  info: Record<string, unknown>;
  limits: Record<string, number>;
  requestDevice(descriptor: { requiredLimits: Record<string, number> }): Promise<DeviceLike>;
}
interface GpuLike {
  requestAdapter(options: Record<string, unknown>): Promise<AdapterLike | null>;
}

/** A GPU error that Dawn reported asynchronously (out of memory, lost device); the next read throws it. */
export interface GpuFault {
  kind: 'out-of-memory' | 'device-lost' | 'validation' | 'internal';
  message: string;
}

interface Started {
  adapter: ClassifiedAdapter;
  faults: GpuFault[];
}

let started: Started | undefined;
let gpu: GpuLike | undefined;

/** The adapter the webgpu backend of this process runs on, once it has started. */
export function currentAdapter(): ClassifiedAdapter | undefined {
  return started?.adapter;
}

/** "@tensorflow/tfjs-backend-webgpu 4.22.0, webgpu 0.6.2 (Dawn)", or undefined when either is missing. */
export function webgpuVersion(): string | undefined {
  try {
    const tfjs = require('@tensorflow/tfjs-backend-webgpu/package.json') as { version: string };
    const dawn = require('webgpu/package.json') as { version: string };
    return `@tensorflow/tfjs-backend-webgpu ${tfjs.version}, webgpu ${dawn.version} (Dawn)`;
  } catch {
    return undefined;
  }
}

/** Makes navigator.gpu and the WebGPU globals exist in this process (once). */
async function installNavigatorGpu(): Promise<GpuLike> {
  if (gpu) return gpu;
  const webgpu = (await import('webgpu')) as unknown as { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
  for (const [name, value] of Object.entries(webgpu.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  gpu = webgpu.create([]);
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  // Node 20 has no navigator; Node 21+ (and Electron) have one without gpu.
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator!, 'gpu', { value: gpu, configurable: true, writable: true });
  return gpu;
}

function requestOptions(a: ClassifiedAdapter): Record<string, unknown> {
  return a.preference === 'fallback' ? { forceFallbackAdapter: true } : { powerPreference: a.preference };
}

function sameAdapter(info: Record<string, unknown>, a: ClassifiedAdapter): boolean {
  return String(info.vendor ?? '') === a.vendor && String(info.description ?? '') === a.description && String(info.architecture ?? '') === a.architecture;
}

// Limits are raised to what the adapter allows: the defaults (256 MiB buffers, 128 MiB bindings) are too small
// for a 1024-unit LSTM's saved states (batch 64 × 400 characters × 4·1024 gates × 4 bytes = 420 MB), and
// TensorFlow.js's AddN over a model's gradients binds more than the default 8 storage buffers.
const RAISED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

function classifyFault(name: string, message: string): GpuFault {
  if (/OutOfMemory/i.test(name) || /out of memory/i.test(message)) return { kind: 'out-of-memory', message };
  if (/Validation/i.test(name)) return { kind: 'validation', message };
  return { kind: 'internal', message };
}

/**
 * Registers TensorFlow.js's 'webgpu' backend on the best adapter (a software one only when `allowSoftware`);
 * the caller makes it current. Throws an Error whose message says why it cannot (no package, no adapter, only
 * a software one).
 */
export async function registerWebGpu(options: { allowSoftware: boolean }): Promise<ClassifiedAdapter> {
  if (started) {
    if (started.adapter.software && !options.allowSoftware) throw new Error(softwareOnly(started.adapter));
    return started.adapter;
  }
  const survey = await surveyAdapters();
  const chosen = pickAdapter(survey.adapters, options.allowSoftware);
  if (!chosen) {
    const software = survey.adapters.find((a) => a.software);
    throw new Error(software ? softwareOnly(software) : (survey.problem ?? 'no WebGPU adapter on this machine'));
  }
  const navigatorGpu = await installNavigatorGpu();
  // Imported after navigator.gpu exists; it then registers a 'webgpu' factory of its own, replaced below.
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const state: Started = { adapter: chosen, faults: [] };
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = await navigatorGpu.requestAdapter(requestOptions(chosen));
      if (!adapter) throw new Error(`the adapter ${adapterName(chosen)} was listed but could not be opened`);
      if (!sameAdapter(adapter.info, chosen)) throw new Error(`asked for ${adapterLabel(chosen)} but WebGPU returned ${String(adapter.info.description ?? adapter.info.vendor)}`);
      const requiredLimits: Record<string, number> = {};
      for (const name of RAISED_LIMITS) if (adapter.limits[name]) requiredLimits[name] = adapter.limits[name]!;
      const device = await adapter.requestDevice({ requiredLimits });
      device.addEventListener('uncapturederror', (event) => {
        // Handled here (kept, then thrown by the next read), so Dawn does not also print it.
        event.preventDefault();
        state.faults.push(classifyFault(event.error.constructor.name, event.error.message));
      });
      void device.lost.then((info) => state.faults.push({ kind: 'device-lost', message: `${info.reason}: ${info.message}` }));
      const backend = new WebGPUBackend(device as never, adapter.info as never);
      // Dawn reports running out of memory asynchronously, and a buffer it could not allocate then reads as
      // garbage. Every download of results goes through read(), so that is where a fault becomes an error.
      const read = backend.read.bind(backend);
      backend.read = async (dataId: object) => {
        let values: Awaited<ReturnType<typeof read>>;
        try {
          values = await read(dataId);
        } catch (err) {
          // Reading an invalid buffer rejects with a bare OperationError; the reason arrives as an event.
          await new Promise<void>((r) => setImmediate(r));
          throwGpuFaults();
          throw err;
        }
        throwGpuFaults();
        return values;
      };
      return backend;
    },
    // Priority 0: TensorFlow.js must never pick it on its own; initBackend() chooses.
    0,
  );
  started = state;
  return chosen;
}

function softwareOnly(a: ClassifiedAdapter): string {
  return (
    `the only WebGPU adapter here is ${adapterName(a)}, a software one (${a.softwareReason}); it trains correctly but ` +
    'more slowly than wasm, so it is used only when asked for: --backend webgpu'
  );
}

/** GPU faults reported since the last call (and forgets them). */
export function takeGpuFaults(): GpuFault[] {
  if (!started) return [];
  return started.faults.splice(0);
}

/**
 * Throws the first fault Dawn reported since the last check, as a TextbenchError a person can act on:
 * 'gpu_out_of_memory' (the fix is a smaller batch or another backend) or 'gpu_failed'.
 */
export function throwGpuFaults(): void {
  const faults = takeGpuFaults();
  if (!faults.length) return;
  const where = started ? adapterName(started.adapter) : 'the GPU';
  const oom = faults.find((f) => f.kind === 'out-of-memory' || TOO_LARGE.test(f.message));
  if (oom) {
    throw new TextbenchError(
      `${where} ran out of memory (WebGPU: ${firstLine(oom.message)}). Train with a smaller batch (--batch-size), ` +
        'a shorter sequence length or fewer units, or on another backend (--backend wasm); a run that finished an epoch can resume there.',
      'gpu_out_of_memory',
      { adapter: where, detail: oom.message },
    );
  }
  const f = faults[0]!;
  throw new TextbenchError(
    `${where} failed (${f.kind}: ${firstLine(f.message)}). Train on another backend (--backend wasm); a run that finished an epoch can resume there.`,
    'gpu_failed',
    { adapter: where, kind: f.kind, detail: f.message },
  );
}

// A buffer larger than the adapter allows is a validation error, but for a person it is the same problem as
// running out of memory, with the same fix.
const TOO_LARGE = /exceeds the max(imum)? (buffer size|storage buffer binding size)|maxBufferSize|maxStorageBufferBindingSize/i;

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
