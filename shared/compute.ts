// What computes: TensorFlow.js backends, WebGPU adapters and the device a run trains on. Shared by the engine
// (compute/), the CLI (`textbench backends`) and the app (run details, system page). Free of Node and DOM imports.
import type { BackendRequest } from './train-options.ts';

export type BackendName = BackendRequest;

export type AdapterPreference = 'high-performance' | 'low-power' | 'fallback';

/** One WebGPU adapter as Dawn reports it (GPUAdapterInfo plus the limits that decide how large a model fits). */
export interface GpuAdapter {
  /** The requestAdapter() option that returned it. */
  preference: AdapterPreference;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** GPUAdapterInfo.isFallbackAdapter: the implementation's own word for "may be slow / software". */
  fallback: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface ClassifiedAdapter extends GpuAdapter {
  /** A rasteriser that runs on the CPU (SwiftShader, llvmpipe, WARP): never chosen automatically. */
  software: boolean;
  /** Why it counts as software (only when software is true). */
  softwareReason?: string;
}

/** The device a run trains (or would train) on, as the app shows it. */
export interface DeviceInfo {
  kind: 'gpu' | 'cpu';
  /** "GPU: NVIDIA H200", "GPU (software): Google SwiftShader driver 5.0.0", "CPU: wasm, 1 thread". */
  label: string;
  /** The WebGPU adapter (webgpu backend only). */
  adapter?: ClassifiedAdapter;
  /**
   * Why this run computes where it does: a model without a recurrent layer raced the GPU against the CPU at the
   * start of the run (both measurements), or a model that is not the backend's to train (the linear solver on the CPU).
   */
  note?: string;
}

/** One backend as `textbench backends` found it. */
export interface BackendProbe {
  name: BackendName;
  loads: boolean;
  /** Why it does not load (only when loads is false). */
  reason?: string;
  /** The package and version behind it, when installed. */
  version?: string;
  /** Kernels the project registered for it. */
  kernels?: string[];
  /** Milliseconds for one tiny Embedding training step (includes first-use setup). */
  smokeMs?: number;
  /** Facts about how it runs here, e.g. wasm SIMD and thread count. */
  notes?: string[];
  /** What it computes on: "GPU: NVIDIA H200", "CPU: wasm, 1 thread". */
  device?: string;
  /** false when it loads but automatic choice passes it over (a software WebGPU adapter). */
  automatic?: boolean;
  /** Why automatic choice passes it over (only when automatic is false). */
  notAutomatic?: string;
  /** The WebGPU adapters found (webgpu only), each marked software or not. */
  adapters?: ClassifiedAdapter[];
}

export interface ProbeReport {
  backends: BackendProbe[];
  /** What training picks without --backend: the first one in order that loads and may be chosen automatically. */
  chosen: BackendName | null;
  /** The chosen backend's device label ("GPU: NVIDIA …", "CPU: wasm, 1 thread"), or null when none loads. */
  device: string | null;
  node: string;
  platform: string;
}
