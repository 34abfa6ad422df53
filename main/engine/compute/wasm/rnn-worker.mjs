// One helper thread of the WebAssembly RNN kernels (../rnn-wasm.ts): instantiates the kernel module over the
// shared memory with its own stack, then runs its batch slice of every kernel call the main thread announces
// through the control words, until told to stop. Plain JavaScript so that it starts without a TypeScript loader.
import { workerData } from 'node:worker_threads';

// Control words (Int32Array over a SharedArrayBuffer), the same indices as CONTROL in rnn-wasm.ts.
const GEN = 0; // bumped by the main thread for every call
const FN = 1; // kernel number, or -1 to stop
const PARAMS = 2; // address of the parameter block
const DONE = 3; // helpers that finished the current call
const READY = 4; // helpers that have started
const FAILED = 5; // helpers whose last call threw

const { module, memory, control, index, stackTop } = workerData;
const ctl = new Int32Array(control);
const instance = new WebAssembly.Instance(module, { env: { memory } });
instance.exports.__stack_pointer.value = stackTop;
Atomics.add(ctl, READY, 1);
Atomics.notify(ctl, READY);

let seen = Atomics.load(ctl, GEN);
for (;;) {
  Atomics.wait(ctl, GEN, seen);
  seen = Atomics.load(ctl, GEN);
  const fn = Atomics.load(ctl, FN);
  if (fn < 0) break;
  try {
    instance.exports.run(fn, Atomics.load(ctl, PARAMS), index);
  } catch {
    Atomics.add(ctl, FAILED, 1);
  }
  Atomics.add(ctl, DONE, 1);
  Atomics.notify(ctl, DONE);
}
