// The fused LSTM/GRU kernels for TensorFlow.js's webgpu backend, following the fused op contract of
// compute/rnn-op.ts (whole sequence forward in one kernel call, whole backward in another, with masks, recurrent
// dropout and goBackwards).
//
// Per call: the input projection x·W + b is one TensorFlow.js matrix product for all time steps; the recurrence
// is the WGSL of rnn-wgsl.ts, all T steps recorded into one compute pass (one dispatch per step, two for the GRU)
// with the step index passed as a dynamic uniform offset, so recording a step costs two encoder calls; the weight
// gradients are three more matrix products over all steps at once (xᵀ·dz, hdᵀ·dz, dz·Wᵀ) and a sum.
import * as tf from '@tensorflow/tfjs';
import { TextbenchError } from '../../errors.ts';
import { rnnDims, type Cell, type RnnAttrs, type RnnBackwardInputs, type RnnDims, type RnnForwardInputs } from '../rnn-op.ts';
import { GRU_BACKWARD_GATES, GRU_BACKWARD_RESET, GRU_FORWARD_GATES, GRU_FORWARD_STATE, LSTM_BACKWARD, LSTM_FORWARD, ROWS, TRANSPOSE, WORKGROUP, type KernelSpec } from './rnn-wgsl.ts';

/** The members of tfjs-backend-webgpu's WebGPUBackend used here (some are private in its typings). */
interface WebGpuBackendLike {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: { get(dataId: tf.DataId): { resource?: unknown } };
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBuffer };
  uniformPendingDisposal: GPUBuffer[];
  commandEncoder: GPUCommandEncoder | null;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId): boolean;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

// ---- pipelines, one set per device ----

interface Compiled {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

interface DeviceKernels {
  compiled: Map<string, Compiled>;
  /** Step numbers 0, 1, 2… each at a 256-byte offset (the largest minUniformBufferOffsetAlignment WebGPU allows). */
  steps: GPUBuffer | null;
  stepCapacity: number;
  /** A 16-byte stand-in for an absent mask. */
  dummy: GPUBuffer;
}

const STEP_STRIDE = 256;
const perDevice = new WeakMap<GPUDevice, DeviceKernels>();

function kernelsFor(device: GPUDevice): DeviceKernels {
  let k = perDevice.get(device);
  if (!k) {
    const dummy = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    k = { compiled: new Map(), steps: null, stepCapacity: 0, dummy };
    perDevice.set(device, k);
  }
  return k;
}

function compile(device: GPUDevice, spec: KernelSpec): Compiled {
  const k = kernelsFor(device);
  const found = k.compiled.get(spec.name);
  if (found) return found;
  const layout = device.createBindGroupLayout({
    label: spec.name,
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
      { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      ...spec.storage.map((written, i) => ({
        binding: i + 2,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: written ? ('storage' as const) : ('read-only-storage' as const) },
      })),
    ],
  });
  const pipeline = device.createComputePipeline({
    label: spec.name,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module: device.createShaderModule({ label: spec.name, code: spec.code }), entryPoint: 'main' },
  });
  const compiled = { pipeline, layout };
  k.compiled.set(spec.name, compiled);
  return compiled;
}

function stepBuffer(device: GPUDevice, steps: number): GPUBuffer {
  const k = kernelsFor(device);
  if (k.steps && k.stepCapacity >= steps) return k.steps;
  // Grown to the next power of two; an older buffer may still be referenced by recorded commands, so it is left
  // to the garbage collector rather than destroyed.
  const capacity = Math.max(64, 2 ** Math.ceil(Math.log2(steps)));
  const buffer = device.createBuffer({ size: capacity * STEP_STRIDE, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const values = new Uint32Array((capacity * STEP_STRIDE) / 4);
  for (let s = 0; s < capacity; s++) values[(s * STEP_STRIDE) / 4] = s;
  device.queue.writeBuffer(buffer, 0, values);
  k.steps = buffer;
  k.stepCapacity = capacity;
  return buffer;
}

// ---- tensors and TensorFlow.js kernels on the webgpu backend ----

class Call {
  private readonly temps: tf.TensorInfo[] = [];
  constructor(readonly backend: WebGpuBackendLike) {}

  kernel(name: string, inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown> = {}): tf.TensorInfo {
    const k = tf.getKernel(name, 'webgpu');
    if (!k) throw new Error(`The webgpu backend has no ${name} kernel; this version of @tensorflow/tfjs-backend-webgpu is not supported.`);
    return k.kernelFunc({ inputs, backend: this.backend as unknown as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  }

  /** A kernel's result that lives only during this call. */
  temp(t: tf.TensorInfo): tf.TensorInfo {
    this.temps.push(t);
    return t;
  }

  matmul(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo {
    return this.kernel('BatchMatMul', { a, b }, { transposeA, transposeB });
  }

  /** A new float32 tensor with GPU memory behind it (contents undefined until a kernel writes them). */
  alloc(shape: number[]): tf.TensorInfo {
    const t = this.backend.makeTensorInfo(shape, 'float32');
    this.backend.uploadToGPU(t.dataId);
    return t;
  }

  buffer(t: tf.TensorInfo): GPUBuffer {
    this.backend.uploadToGPU(t.dataId);
    return this.backend.tensorMap.get(t.dataId).resource as GPUBuffer;
  }

  dispose(): void {
    for (const t of this.temps.splice(0)) this.backend.disposeData(t.dataId);
  }
}

const as2d = (t: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo => ({ dataId: t.dataId, shape: [rows, cols], dtype: t.dtype });

/** Refuses, with the fix, a buffer larger than the device can bind (instead of a WebGPU validation error later). */
function checkFits(backend: WebGpuBackendLike, what: string, floats: number, dims: RnnDims): void {
  const limit = backend.device.limits.maxStorageBufferBindingSize;
  if (floats * 4 <= limit) return;
  throw new TextbenchError(
    `This recurrent layer does not fit the GPU: its ${what} need ${Math.ceil((floats * 4) / 2 ** 20)} MiB in one buffer, and this GPU ` +
      `allows ${Math.floor(limit / 2 ** 20)} MiB (batch ${dims.B} × ${dims.T} steps × ${dims.U} units). Use a smaller batch ` +
      '(--batch-size), a shorter sequence (--seq-len) or fewer units, or the CPU (--backend wasm).',
    'gpu_out_of_memory',
    { what, bytes: floats * 4, limit, ...dims },
  );
}

interface Encoded {
  spec: KernelSpec;
  /** Storage tensors from binding 2 on (null = the dummy buffer: an absent mask). */
  storage: Array<tf.TensorInfo | null>;
  /** Workgroups along x and y. */
  groups: [number, number];
}

/**
 * Records `steps` time steps, each running the kernels of `perStep` in order, into one compute pass, and submits it
 * with whatever TensorFlow.js had recorded before (which it depends on). `params` is the Params uniform
 * (B, T, U, flags); `order` maps the i-th recorded step to the forward step index the kernels get (S.s).
 */
function encodeSteps(call: Call, params: [number, number, number, number], perStep: Encoded[], steps: number, order: (i: number) => number): void {
  const { backend } = call;
  const device = backend.device;
  const paramsBuffer = backend.bufferManager.acquireBuffer(16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  device.queue.writeBuffer(paramsBuffer, 0, new Uint32Array(params));
  backend.uniformPendingDisposal.push(paramsBuffer);
  const stepsBuffer = stepBuffer(device, steps);
  const dummy = kernelsFor(device).dummy;
  const groups = perStep.map((e) => {
    const { pipeline, layout } = compile(device, e.spec);
    const bindGroup = device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: paramsBuffer } },
        { binding: 1, resource: { buffer: stepsBuffer, size: 4 } },
        ...e.storage.map((t, i) => ({ binding: i + 2, resource: { buffer: t ? call.buffer(t) : dummy } })),
      ],
    });
    return { pipeline, bindGroup, groups: e.groups };
  });
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  const pass = backend.commandEncoder!.beginComputePass();
  for (let i = 0; i < steps; i++) {
    const offset = [order(i) * STEP_STRIDE];
    for (const g of groups) {
      pass.setPipeline(g.pipeline);
      pass.setBindGroup(0, g.bindGroup, offset);
      pass.dispatchWorkgroups(g.groups[0], g.groups[1]);
    }
  }
  pass.end();
  backend.submitQueue();
}

/** The step kernels' Params: sizes and flags (1 goBackwards, 2 mask, 4 recurrent dropout mask, 8 hardSigmoid). */
function stepParams(dims: RnnDims, attrs: RnnAttrs, masks: { mask?: tf.TensorInfo; recurrentMask?: tf.TensorInfo }): [number, number, number, number] {
  const flags = (attrs.goBackwards ? 1 : 0) | (masks.mask ? 2 : 0) | (masks.recurrentMask ? 4 : 0) | (attrs.gate === 'hardSigmoid' ? 8 : 0);
  return [dims.B, dims.T, dims.U, flags];
}

/** A step kernel's grid: WORKGROUP units by ROWS batch rows per workgroup. */
function stepGroups(dims: RnnDims): [number, number] {
  return [Math.ceil(dims.U / WORKGROUP), Math.ceil(dims.B / ROWS)];
}

/** Forward: [h [B,T,U], state] (LSTM state [B,T,5U]: i, f, g, o, c; GRU state [B,T,4U]: z, r, h~, r⊙hd). */
export function rnnForward(cell: Cell, inputs: RnnForwardInputs, attrs: RnnAttrs, backendArg: unknown): tf.TensorInfo[] {
  const backend = backendArg as WebGpuBackendLike;
  const call = new Call(backend);
  const dims = rnnDims(inputs.x, inputs.recurrentKernel);
  const { B, T, E, U } = dims;
  const stateWidth = cell === 'lstm' ? 5 * U : 4 * U;
  checkFits(backend, 'saved gate values', B * T * stateWidth, dims);
  try {
    const xw = call.temp(call.kernel('_FusedMatMul', { a: as2d(inputs.x, B * T, E), b: inputs.kernel, bias: inputs.bias }, { transposeA: false, transposeB: false, activation: 'linear' }));
    const h = call.alloc([B, T, U]);
    const state = call.alloc([B, T, stateWidth]);
    if (T > 0) {
      const storage = [xw, inputs.recurrentKernel, inputs.mask ?? null, inputs.recurrentMask ?? null, h, state];
      const kernels = cell === 'lstm' ? [LSTM_FORWARD] : [GRU_FORWARD_GATES, GRU_FORWARD_STATE];
      encodeSteps(call, stepParams(dims, attrs, inputs), kernels.map((spec) => ({ spec, storage, groups: stepGroups(dims) })), T, (i) => i);
    }
    return [h, state];
  } finally {
    call.dispose();
  }
}

/** Backward: [dx [B,T,E], dKernel [E,kU], dRecurrentKernel [U,kU], dBias [kU]]. */
export function rnnBackward(cell: Cell, inputs: RnnBackwardInputs, attrs: RnnAttrs, backendArg: unknown): tf.TensorInfo[] {
  const backend = backendArg as WebGpuBackendLike;
  const call = new Call(backend);
  const dims = rnnDims(inputs.x, inputs.recurrentKernel);
  const { B, T, E, U } = dims;
  const G = (cell === 'lstm' ? 4 : 3) * U;
  checkFits(backend, 'gate gradients', B * T * G, dims);
  try {
    const recurrentT = call.temp(call.alloc([G, U]));
    encodeSteps(call, [U, 1, G, 0], [{ spec: TRANSPOSE, storage: [inputs.recurrentKernel, recurrentT], groups: [Math.ceil(G / WORKGROUP), U] }], 1, () => 0);
    const dz = call.temp(call.alloc([B, T, G]));
    const carry = call.temp(call.alloc([B, cell === 'lstm' ? 2 * U : U]));
    const hdPrev = call.temp(call.alloc([B, T, U]));
    if (T > 0) {
      const storage = [recurrentT, inputs.mask ?? null, inputs.recurrentMask ?? null, inputs.h, inputs.state, inputs.dh, dz, carry, hdPrev];
      const kernels = cell === 'lstm' ? [LSTM_BACKWARD] : [GRU_BACKWARD_GATES, GRU_BACKWARD_RESET];
      encodeSteps(call, stepParams(dims, attrs, inputs), kernels.map((spec) => ({ spec, storage, groups: stepGroups(dims) })), T, (i) => T - 1 - i);
    }
    const dz2 = as2d(dz, B * T, G);
    const dx = call.matmul(dz2, inputs.kernel, false, true);
    const dKernel = call.matmul(as2d(inputs.x, B * T, E), dz2, true, false);
    const dBias = call.kernel('Sum', { x: dz2 }, { axis: [0], keepDims: false });
    let dRecurrent: tf.TensorInfo;
    if (cell === 'lstm') {
      dRecurrent = call.matmul(as2d(hdPrev, B * T, U), dz2, true, false);
    } else {
      // Columns z and r come from hd, the candidate's from r ⊙ hd (kept in the state's last quarter).
      const zr = call.temp(call.kernel('Slice', { x: dz2 }, { begin: [0, 0], size: [B * T, 2 * U] }));
      const cand = call.temp(call.kernel('Slice', { x: dz2 }, { begin: [0, 2 * U], size: [B * T, U] }));
      const rh = call.temp(call.kernel('Slice', { x: as2d(inputs.state, B * T, 4 * U) }, { begin: [0, 3 * U], size: [B * T, U] }));
      const dZR = call.temp(call.matmul(as2d(hdPrev, B * T, U), zr, true, false));
      const dH = call.temp(call.matmul(rh, cand, true, false));
      // Concat takes its inputs as an array.
      dRecurrent = call.kernel('Concat', [dZR, dH] as unknown as Record<string, tf.TensorInfo>, { axis: 1 });
    }
    return [{ ...dx, shape: [B, T, E] }, dKernel, dRecurrent, dBias];
  } finally {
    call.dispose();
  }
}

/** The four kernels of the contract for the webgpu backend, as TensorFlow.js kernel functions. */
export const webgpuRnnKernels: Record<'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward', tf.KernelFunc> = {
  lstmForward: ({ inputs, attrs, backend }) => rnnForward('lstm', inputs as unknown as RnnForwardInputs, attrs as unknown as RnnAttrs, backend),
  lstmBackward: ({ inputs, attrs, backend }) => rnnBackward('lstm', inputs as unknown as RnnBackwardInputs, attrs as unknown as RnnAttrs, backend),
  gruForward: ({ inputs, attrs, backend }) => rnnForward('gru', inputs as unknown as RnnForwardInputs, attrs as unknown as RnnAttrs, backend),
  gruBackward: ({ inputs, attrs, backend }) => rnnBackward('gru', inputs as unknown as RnnBackwardInputs, attrs as unknown as RnnAttrs, backend),
};
