// A WebAssembly module that runs on the tfjs wasm backend's own memory (adam.wasm, ops.wasm): it imports that
// memory, reads its operands where the backend keeps the tensors and writes the outputs in place, with no copies.
// It is instantiated once for each backend instance that asks, and where it cannot be (a tfjs-backend-wasm build
// that does not expose its memory, a module that does not load) the callers run their JavaScript or tfjs path,
// which computes the same numbers.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileOptimised } from './rnn-wasm.ts';

export class HeapModule<T> {
  private readonly instances = new WeakMap<object, T | null>();
  /** Why the module did not load the last time it failed to (for `textbench backends`). */
  failure: string | undefined;

  constructor(private readonly file: URL) {}

  /** The module's exports over `backend`'s memory, or null where they cannot be had. */
  on(backend: object): T | null {
    let exports = this.instances.get(backend);
    if (exports === undefined) {
      const memory = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
      try {
        if (!(memory instanceof WebAssembly.Memory)) throw new Error('this tfjs-backend-wasm build does not expose its memory');
        exports = new WebAssembly.Instance(compileOptimised(fs.readFileSync(fileURLToPath(this.file))), { env: { memory } }).exports as T;
      } catch (err) {
        this.failure = (err as Error).message.split('\n')[0];
        exports = null;
      }
      this.instances.set(backend, exports);
    }
    return exports;
  }
}
