// The fused LSTM/GRU kernels (contract: rnn-op.ts) on the WebAssembly SIMD module built from wasm/rnn.c, for the
// tfjs wasm and cpu backends, on one thread or split by batch rows across worker threads over one shared memory.
//
// Data flow per call: x, the weights and the masks are copied into the module's memory, the whole time loop runs
// there, and only h (forward) or dx and the weight gradients (backward) are copied back. What the backward needs
// from the forward (x, h, the gate values) stays in the module's memory, owned by the forward's `state` output:
// an int32 [1] handle whose disposal (tfjs disposes it after the backward, or at the end of an inference call)
// frees it again. That saves copying ~7 floats per unit and step out and back in (11 MB per call at batch 64,
// 100 steps, 64 units). The module keeps h and the state time-major (each step's rows together; see rnn.c), reads
// x where it is, and writes TensorFlow.js's [B,T,·] h and dx (and reads dy) step by step, thread by thread.
//
// Threads: each thread runs the whole time loop for its slice of the batch (no synchronisation per step), and
// the weight gradients are summed from per-thread partials. Helpers are worker_threads over a shared
// WebAssembly.Memory, woken with Atomics; the calling thread takes the first slice and waits for the rest.
import fs from 'node:fs';
import v8 from 'node:v8';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { rnnDims, type Cell, type RnnAttrs, type RnnBackwardInputs, type RnnForwardInputs } from './rnn-op.ts';

// The plain builds, and the builds whose GEMM tiles use fused multiply-adds (relaxed SIMD; see MADD in rnn.c).
const MODULE_FILES = {
  simd: { single: new URL('./wasm/rnn.wasm', import.meta.url), threaded: new URL('./wasm/rnn-threads.wasm', import.meta.url) },
  fma: { single: new URL('./wasm/rnn-fma.wasm', import.meta.url), threaded: new URL('./wasm/rnn-fma-threads.wasm', import.meta.url) },
} as const;
const WORKER_FILE = new URL('./wasm/rnn-worker.mjs', import.meta.url);

// Parameter block slots and flags: the P_* and F_* of rnn.c.
const P = { B: 0, T: 1, E: 2, U: 3, FLAGS: 4, X: 5, W: 6, RK: 7, BIAS: 8, MASK: 9, RM: 10, H: 11, STATE: 12, DY: 13, WT: 14, RKT: 15, HOUT: 16, DYIN: 17, DXOUT: 18, THREADS: 19, SLICES: 20 } as const;
const F = { SIGMOID: 1, BACK: 2, MASK: 4, RM: 8 } as const;
const FN: Record<Cell, { forward: number; backward: number }> = { lstm: { forward: 0, backward: 1 }, gru: { forward: 2, backward: 3 } };
/** State floats per unit and step: LSTM i f g o c tanh(c), GRU z r h~. */
const STATE_WIDTH: Record<Cell, number> = { lstm: 6, gru: 3 };
const GATES: Record<Cell, number> = { lstm: 4, gru: 3 };
// Control words shared with wasm/rnn-worker.mjs.
const CONTROL = { GEN: 0, FN: 1, PARAMS: 2, DONE: 3, READY: 4, FAILED: 5, SIZE: 8 } as const;
const MAX_THREADS = 64;
const PAGE = 65536;
const STACK = 65536;
/** Fewer rows per thread than this and the per-step products get too small to be worth a thread. */
const MIN_ROWS_PER_THREAD = 4;
/**
 * Fewer multiply-adds per thread than this (about half a millisecond of one core) and waking a helper costs more
 * than it saves: on a loaded machine a tiny GRU (32 rows, 16 steps, 8 units) trained 1.6x slower on two threads than
 * on one, every call waiting for a helper the scheduler had not run yet. Tests set it to 0 to split small shapes.
 */
export const threadPolicy = { minMacsPerThread: 1 << 21 };

interface KernelExports {
  run(fn: number, params: number, thread: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  sum_partials(params: number, out: number, n: number): void;
  __stack_pointer: WebAssembly.Global;
  __heap_base: WebAssembly.Global;
}

/** First-fit allocator over the module's memory above __heap_base; grows the memory when nothing fits. */
class Heap {
  private free: Array<[number, number]> = [];
  private readonly sizes = new Map<number, number>();
  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
  ) {
    this.free.push([align(base), memory.buffer.byteLength]);
  }

  alloc(bytes: number): number {
    const size = align(Math.max(16, bytes));
    for (let i = 0; i < this.free.length; i++) {
      const [start, end] = this.free[i]!;
      if (end - start < size) continue;
      if (end - start === size) this.free.splice(i, 1);
      else this.free[i] = [start + size, end];
      this.sizes.set(start, size);
      return start;
    }
    const before = this.memory.buffer.byteLength;
    const pages = Math.ceil(Math.max(size, before / 2) / PAGE);
    try {
      this.memory.grow(pages);
    } catch (err) {
      throw new Error(`The recurrent kernels ran out of memory asking for ${Math.round(size / 1048576)} MB more (${Math.round(before / 1048576)} MB in use): ${(err as Error).message}. Use a smaller batch size or sequence length.`);
    }
    this.release(before, this.memory.buffer.byteLength);
    return this.alloc(bytes);
  }

  freeBlock(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    this.release(ptr, ptr + size);
  }

  /** Bytes handed out and not yet freed (tests check that nothing leaks). */
  inUse(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }

  private release(start: number, end: number): void {
    let i = 0;
    while (i < this.free.length && this.free[i]![0] < start) i++;
    this.free.splice(i, 0, [start, end]);
    // Coalesce with the neighbours.
    if (i + 1 < this.free.length && this.free[i]![1] === this.free[i + 1]![0]) {
      this.free[i]![1] = this.free[i + 1]![1];
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1]![1] === this.free[i]![0]) {
      this.free[i - 1]![1] = this.free[i]![1];
      this.free.splice(i, 1);
    }
  }
}

function align(n: number): number {
  return (n + 63) & ~63;
}

/** A saved forward: where its x, h and state live in the module's memory, until its handle is disposed. */
interface Entry {
  block: number;
  x: number;
  h: number;
  state: number;
  /** 0 when the forward had no mask / no recurrent dropout mask. */
  mask: number;
  rm: number;
  /** Where the forward's slices end: x, h and the state are time-major within them, so the backward uses them too. */
  ends: number[];
}

export interface WasmRnnInfo {
  /** Threads a kernel call may use (this one included). */
  threads: number;
  /** The build with fused multiply-adds (relaxed SIMD) runs; false: the plain SIMD build. */
  fma: boolean;
  /** Why fewer threads than asked for, if so. */
  note?: string;
}

/** The loaded module: memory, allocator, helper threads. One per process (per JavaScript thread). */
export class WasmRnn {
  private f32: Float32Array;
  private i32: Int32Array;
  private readonly params: number;
  private readonly entries = new Map<number, Entry>();
  private nextEntry = 1;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly exports: KernelExports,
    private readonly heap: Heap,
    private readonly control: Int32Array | undefined,
    private readonly helpers: Worker[],
    readonly info: WasmRnnInfo,
  ) {
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.params = heap.alloc(4 * (P.SLICES + 4 * MAX_THREADS));
  }

  /**
   * Loads the module and starts `threads - 1` helper threads (all of them ready when this resolves). With one
   * thread, or where shared memory or worker threads are unavailable, the single-thread module is used. The build
   * with fused multiply-adds is used where the engine compiles it (and `options.fma` is not false), else the plain one.
   */
  static async load(threads: number, options: { fma?: boolean } = {}): Promise<WasmRnn> {
    const wanted = Math.max(1, Math.min(MAX_THREADS, Math.floor(threads)));
    const fma = options.fma !== false;
    if (wanted > 1) {
      try {
        return await WasmRnn.loadThreaded(wanted, fma);
      } catch (err) {
        const single = WasmRnn.loadSingle(fma);
        single.info.note = `one thread: the threaded kernels did not start (${(err as Error).message.split('\n')[0]})`;
        return single;
      }
    }
    return WasmRnn.loadSingle(fma);
  }

  private static loadSingle(fma: boolean): WasmRnn {
    const { module, variant } = compileVariant('single', fma);
    const memory = new WebAssembly.Memory({ initial: 2 });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const exports = instance.exports as unknown as KernelExports;
    return new WasmRnn(memory, exports, new Heap(memory, exports.__heap_base.value as number), undefined, [], { threads: 1, fma: variant === 'fma' });
  }

  private static async loadThreaded(threads: number, fma: boolean): Promise<WasmRnn> {
    const { module, variant } = compileVariant('threaded', fma);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const exports = instance.exports as unknown as KernelExports;
    const heap = new Heap(memory, exports.__heap_base.value as number);
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL.SIZE));
    const helpers: Worker[] = [];
    try {
      for (let i = 1; i < threads; i++) {
        const stackTop = heap.alloc(STACK) + STACK;
        // execArgv: [] so the helper starts as plain Node (no TypeScript loader: it is a .mjs file).
        const worker = new Worker(fileURLToPath(WORKER_FILE), { workerData: { module, memory, control: control.buffer, index: i, stackTop }, execArgv: [] });
        worker.unref();
        helpers.push(worker);
      }
      await waitForHelpers(control, helpers);
    } catch (err) {
      for (const w of helpers) void w.terminate();
      throw err;
    }
    return new WasmRnn(memory, exports, heap, control, helpers, { threads, fma: variant === 'fma' });
  }

  /** Stops the helper threads (tests; the process would end them anyway). */
  async close(): Promise<void> {
    if (!this.control) return;
    Atomics.store(this.control, CONTROL.FN, -1);
    Atomics.add(this.control, CONTROL.GEN, 1);
    Atomics.notify(this.control, CONTROL.GEN);
    await Promise.all(this.helpers.map((w) => w.terminate()));
  }

  /** Bytes of module memory in use (saved forwards included). */
  bytesInUse(): number {
    return this.heap.inUse();
  }

  private views(): void {
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
  }

  private alloc(floats: number): number {
    const p = this.heap.alloc(4 * floats);
    this.views();
    return p;
  }

  /**
   * Splits B rows over the threads worth using (`macsPerRow`: a row's multiply-adds in this call), or as `fixed` says
   * (a backward: its forward's split); writes the slices; returns where they end (one entry per thread used).
   */
  private slices(B: number, macsPerRow: number, scratchFloats: (rows: number) => number, partialFloats: number, blocks: number[], rowWork?: Float64Array, fixed?: number[]): number[] {
    const worth = Math.min(Math.floor(B / MIN_ROWS_PER_THREAD), Math.floor((B * macsPerRow) / Math.max(1, threadPolicy.minMacsPerThread)));
    const n = fixed ? fixed.length : Math.max(1, Math.min(this.info.threads, worth));
    const base = Math.floor(B / n);
    const extra = B % n;
    // With per-row work (a forward over rows of different real lengths), cut where the running work passes each
    // thread's share, so that the thread holding the long rows does not finish last by far.
    const ends: number[] = [];
    if (fixed) {
      ends.push(...fixed);
    } else if (rowWork && n > 1) {
      let total = 0;
      for (let b = 0; b < B; b++) total += rowWork[b]!;
      let acc = 0;
      let b = 0;
      for (let i = 1; i < n; i++) {
        // At least one row for this slice and one for each slice after it.
        const first = b + 1;
        while (b < B - (n - i) && (b < first || acc + rowWork[b]! <= (total * i) / n)) acc += rowWork[b++]!;
        ends.push(b);
      }
      ends.push(B);
    } else {
      for (let i = 0, at = 0; i < n; i++) ends.push((at += base + (i < extra ? 1 : 0)));
    }
    let b0 = 0;
    const s = this.params / 4 + P.SLICES;
    for (let i = 0; i < n; i++) {
      const rows = ends[i]! - b0;
      const scratch = this.alloc(scratchFloats(rows) + 16);
      blocks.push(scratch);
      const partial = partialFloats ? this.alloc(partialFloats) : 0;
      if (partial) blocks.push(partial);
      this.i32.set([b0, b0 + rows, scratch, partial], s + 4 * i);
      b0 += rows;
    }
    // Helpers beyond n still answer the call; an empty slice makes them return at once.
    for (let i = n; i <= this.helpers.length; i++) this.i32.set([0, 0, 0, 0], s + 4 * i);
    this.i32[this.params / 4 + P.THREADS] = n;
    return ends;
  }

  /** Runs kernel `fn` on every slice: helpers first, then this thread's own slice, then waits for the helpers. */
  private run(fn: number, threads: number): void {
    const ctl = this.control;
    if (!ctl || threads === 1) {
      this.exports.run(fn, this.params, 0);
      return;
    }
    Atomics.store(ctl, CONTROL.FN, fn);
    Atomics.store(ctl, CONTROL.PARAMS, this.params);
    Atomics.store(ctl, CONTROL.DONE, 0);
    Atomics.store(ctl, CONTROL.FAILED, 0);
    Atomics.add(ctl, CONTROL.GEN, 1);
    Atomics.notify(ctl, CONTROL.GEN);
    let failed: unknown;
    try {
      this.exports.run(fn, this.params, 0);
    } catch (err) {
      failed = err;
    }
    // Every helper answers every call (those without rows at once), so the count to wait for is all of them.
    const deadline = Date.now() + 120_000;
    for (let done = Atomics.load(ctl, CONTROL.DONE); done < this.helpers.length; done = Atomics.load(ctl, CONTROL.DONE)) {
      if (Date.now() > deadline) throw new Error('The recurrent kernels\' helper threads stopped answering (no result in 120 s).');
      Atomics.wait(ctl, CONTROL.DONE, done, 1000);
    }
    if (failed) throw failed;
    if (Atomics.load(ctl, CONTROL.FAILED) > 0) throw new Error('A helper thread of the recurrent kernels failed (a WebAssembly trap).');
  }

  /** Forward: returns h [B,T,U] (copied out by `out`) and the id of the saved entry. */
  forward(cell: Cell, io: TensorIO, inputs: RnnForwardInputs, attrs: RnnAttrs): { h: tf.TensorInfo; entry: number } {
    const { B, T, E, U } = rnnDims(inputs.x, inputs.recurrentKernel);
    const G = GATES[cell] * U;
    const S = STATE_WIDTH[cell] * U;
    const hasMask = inputs.mask !== undefined;
    const hasRm = inputs.recurrentMask !== undefined;
    // The saved entry (kept until the handle goes) and this call's weights and scratch (freed at the end).
    const sizes = [B * T * E, B * T * U, B * T * S, hasMask ? B * T : 0, hasRm ? B * U : 0];
    const block = this.alloc(sizes.reduce((a, n) => a + align(4 * n) / 4, 0));
    const offsets: number[] = [];
    let at = block;
    for (const n of sizes) {
      offsets.push(at);
      at += align(4 * n);
    }
    const [x, h, state, mask, rm] = offsets as [number, number, number, number, number];
    const temp: number[] = [];
    try {
      const w = this.alloc(E * G);
      temp.push(w);
      const rk = this.alloc(U * G);
      temp.push(rk);
      const bias = this.alloc(G);
      temp.push(bias);
      // The mask first: with it the rows are split by their real steps, not by their count.
      let rowWork: Float64Array | undefined;
      if (hasMask) {
        io.read(inputs.mask!, this.f32, mask / 4);
        rowWork = new Float64Array(B);
        const m = this.f32;
        for (let b = 0, at = mask / 4; b < B; b++) {
          let real = 1;
          for (let t = 0; t < T; t++, at++) if (m[at] !== 0) real++;
          rowWork[b] = real;
        }
      }
      const hOut = this.alloc(B * T * U);
      temp.push(hOut);
      const ends = this.slices(B, T * G * (E + U), (rows) => 2 * rows * U, 0, temp, rowWork);
      io.read(inputs.x, this.f32, x / 4);
      io.read(inputs.kernel, this.f32, w / 4);
      io.read(inputs.recurrentKernel, this.f32, rk / 4);
      io.read(inputs.bias, this.f32, bias / 4);
      if (hasRm) io.read(inputs.recurrentMask!, this.f32, rm / 4);
      const flags = (attrs.gate === 'sigmoid' ? F.SIGMOID : 0) | (attrs.goBackwards ? F.BACK : 0) | (hasMask ? F.MASK : 0) | (hasRm ? F.RM : 0);
      this.i32.set([B, T, E, U, flags, x, w, rk, bias, mask, rm, h, state], this.params / 4);
      this.i32[this.params / 4 + P.HOUT] = hOut;
      this.run(FN[cell].forward, ends.length);
      const out = io.write([B, T, U], this.f32, hOut / 4);
      const id = this.nextEntry++;
      this.entries.set(id, { block, x, h, state, mask: hasMask ? mask : 0, rm: hasRm ? rm : 0, ends });
      return { h: out, entry: id };
    } catch (err) {
      this.heap.freeBlock(block);
      throw err;
    } finally {
      for (const p of temp) this.heap.freeBlock(p);
    }
  }

  /** Backward for a saved forward: dx [B,T,E], dKernel, dRecurrentKernel, dBias. */
  backward(cell: Cell, io: TensorIO, inputs: RnnBackwardInputs, attrs: RnnAttrs, entryId: number): tf.TensorInfo[] {
    const entry = this.entries.get(entryId);
    if (!entry) throw new Error('The fused recurrent backward was given a forward state that no longer exists (it was disposed, or came from another process).');
    const { B, T, E, U } = rnnDims(inputs.x, inputs.recurrentKernel);
    const G = GATES[cell] * U;
    const temp: number[] = [];
    try {
      const dyIn = this.alloc(B * T * U);
      temp.push(dyIn);
      const dy = this.alloc(B * T * U);
      temp.push(dy);
      const dxOut = this.alloc(B * T * E);
      temp.push(dxOut);
      const w = this.alloc(E * G);
      temp.push(w);
      const wt = this.alloc(E * G);
      temp.push(wt);
      const rk = this.alloc(U * G);
      temp.push(rk);
      const rkt = this.alloc(U * G);
      temp.push(rkt);
      const partialFloats = (E + U + 1) * G;
      const sum = this.alloc(partialFloats);
      temp.push(sum);
      // Scratch per slice: the carried gradients, and one step's dz, hd and r⊙hd (rnn.c, *_backward and bwd_of).
      const ends = this.slices(B, 2 * T * G * (E + U), (rows) => rows * (4 * U + G + 2 * U), partialFloats, temp, undefined, entry.ends);
      io.read(inputs.dh, this.f32, dyIn / 4);
      io.read(inputs.kernel, this.f32, w / 4);
      io.read(inputs.recurrentKernel, this.f32, rk / 4);
      this.exports.transpose(w, wt, E, G);
      this.exports.transpose(rk, rkt, U, G);
      const flags = (attrs.gate === 'sigmoid' ? F.SIGMOID : 0) | (attrs.goBackwards ? F.BACK : 0) | (entry.mask ? F.MASK : 0) | (entry.rm ? F.RM : 0);
      this.i32.set([B, T, E, U, flags, entry.x, w, rk, 0, entry.mask, entry.rm, entry.h, entry.state, dy, wt, rkt, 0, dyIn, dxOut], this.params / 4);
      this.run(FN[cell].backward, ends.length);
      this.exports.sum_partials(this.params, sum, partialFloats);
      const s = sum / 4;
      return [
        io.write([B, T, E], this.f32, dxOut / 4),
        io.write([E, G], this.f32, s),
        io.write([U, G], this.f32, s + E * G),
        io.write([G], this.f32, s + (E + U) * G),
      ];
    } finally {
      for (const p of temp) this.heap.freeBlock(p);
    }
  }

  /** Frees a saved forward (its handle tensor was disposed). */
  release(entryId: number): void {
    const entry = this.entries.get(entryId);
    if (!entry) return;
    this.entries.delete(entryId);
    this.heap.freeBlock(entry.block);
  }

  /** Saved forwards not yet released (tests check that nothing leaks). */
  liveEntries(): number {
    return this.entries.size;
  }
}

/**
 * Compiles a kernel module straight to optimised code. V8 otherwise starts wasm in its baseline compiler
 * (Liftoff) and optimises a function only after it has run a while, in the background, and a call that started
 * in baseline code stays there: the first calls of a training run or of a classifier measured 30-40x slower
 * (430 ms against 11 ms of CPU for a GRU forward at batch 64, 100 steps, 64 units). Only this compilation is
 * affected; the flag is set back at once.
 */
function compile(file: URL): WebAssembly.Module {
  return compileOptimised(fs.readFileSync(fileURLToPath(file)));
}

/** A module compiled straight to optimised code (see compile). */
export function compileOptimised(bytes: Buffer): WebAssembly.Module {
  v8.setFlagsFromString('--no-liftoff');
  try {
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } finally {
    v8.setFlagsFromString('--liftoff');
  }
}

/**
 * The FMA build where this engine compiles it, else the plain one (see compileRelaxed).
 */
function compileVariant(kind: 'single' | 'threaded', fma: boolean): { module: WebAssembly.Module; variant: 'fma' | 'simd' } {
  if (fma) {
    try {
      return { module: compileRelaxed(fs.readFileSync(fileURLToPath(MODULE_FILES.fma[kind]))), variant: 'fma' };
    } catch {
      // No relaxed SIMD in this engine: the plain build.
    }
  }
  return { module: compile(MODULE_FILES.simd[kind]), variant: 'simd' };
}

/**
 * A module that may use relaxed-SIMD instructions, compiled as compileOptimised does. Relaxed SIMD ships enabled
 * in V8 11.4+ (Node 22, Electron); Node 20's V8 11.3 has it behind --experimental-wasm-relaxed-simd, which is
 * turned on when the first try fails (and left on: it only admits the instructions, and a later lazy compile of
 * the module must still accept them). Throws where the engine has no relaxed SIMD at all.
 */
export function compileRelaxed(bytes: Buffer): WebAssembly.Module {
  try {
    return compileOptimised(bytes);
  } catch {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    return compileOptimised(bytes);
  }
}

async function waitForHelpers(control: Int32Array, helpers: Worker[]): Promise<void> {
  const failures: string[] = [];
  const exited = helpers.map(
    (w, i) =>
      new Promise<void>((resolve) => {
        w.once('error', (e) => {
          failures.push(`helper ${i + 1}: ${e.message}`);
          resolve();
        });
        w.once('exit', () => resolve());
      }),
  );
  const deadline = Date.now() + 30_000;
  while (Atomics.load(control, CONTROL.READY) < helpers.length) {
    if (failures.length) throw new Error(failures[0]);
    if (Date.now() > deadline) throw new Error('the helper threads did not start within 30 s');
    await Promise.race([new Promise((r) => setTimeout(r, 5)), ...exited]);
  }
}

/** Moving tensor data between a tfjs backend and the module's memory. */
export interface TensorIO {
  /** Copies a float32 tensor's values into `dst` at float index `at`. */
  read(t: tf.TensorInfo, dst: Float32Array, at: number): void;
  /** A new float32 backend tensor with `shape`, its values copied from `src` at float index `at`. */
  write(shape: number[], src: Float32Array, at: number): tf.TensorInfo;
  /** A new int32 [1] tensor holding `value`. */
  handle(value: number): tf.TensorInfo;
  /** The value of an int32 [1] tensor. */
  handleValue(t: tf.TensorInfo): number;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array;
}
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): tf.TensorInfo;
}

export function tensorIO(backendName: 'wasm' | 'cpu', backend: unknown): TensorIO {
  if (backendName === 'wasm') {
    const b = backend as WasmBackendLike;
    return {
      read: (t, dst, at) => dst.set(b.typedArrayFromHeap(t) as Float32Array, at),
      write: (shape, src, at) => {
        const out = b.makeOutput(shape, 'float32');
        (b.typedArrayFromHeap(out) as Float32Array).set(src.subarray(at, at + tf.util.sizeFromShape(shape)));
        return out;
      },
      handle: (value) => {
        const out = b.makeOutput([1], 'int32');
        (b.typedArrayFromHeap(out) as Int32Array)[0] = value;
        return out;
      },
      handleValue: (t) => (b.typedArrayFromHeap(t) as Int32Array)[0]!,
    };
  }
  const b = backend as CpuBackendLike;
  return {
    read: (t, dst, at) => dst.set(b.data.get(t.dataId).values as Float32Array, at),
    write: (shape, src, at) => b.makeTensorInfo(shape, 'float32', src.slice(at, at + tf.util.sizeFromShape(shape))),
    handle: (value) => b.makeTensorInfo([1], 'int32', Int32Array.of(value)),
    handleValue: (t) => (b.data.get(t.dataId).values as Int32Array)[0]!,
  };
}

/** The default thread count: every core the machine offers, at most 16 (beyond that the slices get too thin). */
export function defaultThreads(): number {
  return Math.max(1, Math.min(16, os.availableParallelism()));
}

const hooked = new WeakSet<object>();
/** Handle tensor data → the saved entry it keeps alive. */
const owners = new WeakMap<tf.DataId, { rnn: WasmRnn; entry: number }>();

/**
 * Makes the backend free a saved entry when its handle's data is freed: tfjs disposes the saved tensors of every
 * taped op after backprop, and the forward's own scope frees the handle in inference. Clones share the data (the
 * cpu backend's Identity does; kernels.ts makes the wasm backend's do so too), so the data goes with the last one.
 */
function hookDisposal(backend: { disposeData(dataId: tf.DataId, force?: boolean): boolean }): void {
  if (hooked.has(backend)) return;
  hooked.add(backend);
  const original = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: tf.DataId, force?: boolean): boolean => {
    const freed = original(dataId, force);
    if (freed) {
      const owner = owners.get(dataId);
      if (owner) {
        owners.delete(dataId);
        owner.rnn.release(owner.entry);
      }
    }
    return freed;
  };
}

/** The four kernel functions on `rnn` for one backend, ready for tf.registerKernel. */
export function wasmRnnKernels(rnn: WasmRnn, backendName: 'wasm' | 'cpu'): Record<'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward', tf.KernelFunc> {
  const forward =
    (cell: Cell): tf.KernelFunc =>
    ({ inputs, backend, attrs }) => {
      hookDisposal(backend as unknown as { disposeData(dataId: tf.DataId, force?: boolean): boolean });
      const io = tensorIO(backendName, backend);
      const { h, entry } = rnn.forward(cell, io, inputs as unknown as RnnForwardInputs, attrs as unknown as RnnAttrs);
      const state = io.handle(entry);
      owners.set(state.dataId, { rnn, entry });
      return [h, state];
    };
  const backward =
    (cell: Cell): tf.KernelFunc =>
    ({ inputs, backend, attrs }) => {
      const io = tensorIO(backendName, backend);
      const i = inputs as unknown as RnnBackwardInputs;
      return rnn.backward(cell, io, i, attrs as unknown as RnnAttrs, io.handleValue(i.state));
    };
  return { lstmForward: forward('lstm'), lstmBackward: backward('lstm'), gruForward: forward('gru'), gruBackward: backward('gru') };
}
