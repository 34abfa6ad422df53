// Builds the project's WebAssembly kernels from C with Debian's clang 14 and lld 14 (no download):
//   rnn.wasm          the fused LSTM/GRU (rnn.c), 128-bit SIMD, imports an ordinary memory: one thread
//   rnn-threads.wasm  the same code for a shared memory, instantiated once per worker thread
//   adam.wasm         the fused Adam step (adam.c), run on the tfjs wasm backend's own memory
// All are committed; tests/unit/compute-wasm-build.test.ts rebuilds them and compares bytes.
//   node main/engine/compute/wasm/build.mjs           write the .wasm files next to rnn.c
//   node main/engine/compute/wasm/build.mjs --out D   write them into folder D instead
// Needs clang-14 and wasm-ld-14 (apt-get install clang-14 lld-14).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = import.meta.dirname;
const outArg = process.argv.indexOf('--out');
const outDir = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : here;

export const CLANG = 'clang-14';
export const WASM_LD = 'wasm-ld-14';

// -O3 with SIMD; bulk memory turns the compiler's own memcpy/memset into wasm instructions (there is no libc).
const CFLAGS = ['--target=wasm32', '-O3', '-msimd128', '-mbulk-memory', '-mmutable-globals', '-nostdlib', '-ffreestanding', '-fno-exceptions', '-Wall', '-Werror'];
// No entry point, memory from the importer, and no custom sections (byte-stable output).
const LDFLAGS = ['--no-entry', '--import-memory', '--strip-all'];
// The RNN kernels' stack sits at the bottom of their own memory (JavaScript allocates above __heap_base and gives
// every thread its own stack by setting __stack_pointer).
const RNN_LDFLAGS = ['--stack-first', '-z', 'stack-size=65536', '--export=__stack_pointer', '--export=__heap_base', '--initial-memory=131072'];

const VARIANTS = [
  { file: 'rnn.wasm', source: 'rnn.c', cflags: [], ldflags: RNN_LDFLAGS },
  // A shared memory must declare its maximum: 4 GiB, all that wasm32 addresses (only reserved, not committed).
  { file: 'rnn-threads.wasm', source: 'rnn.c', cflags: ['-matomics'], ldflags: [...RNN_LDFLAGS, '--shared-memory', '--max-memory=4294967296'] },
  // Runs in another module's memory: no stack of its own at all.
  { file: 'adam.wasm', source: 'adam.c', cflags: [], ldflags: ['-z', 'stack-size=0'] },
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'textbench-wasm-'));
try {
  fs.mkdirSync(outDir, { recursive: true });
  for (const v of VARIANTS) {
    const obj = path.join(tmp, `${v.file}.o`);
    execFileSync(CLANG, [...CFLAGS, ...v.cflags, '-c', path.join(here, v.source), '-o', obj], { stdio: 'inherit' });
    execFileSync(WASM_LD, [...LDFLAGS, ...v.ldflags, obj, '-o', path.join(outDir, v.file)], { stdio: 'inherit' });
    console.log(`built ${path.relative(process.cwd(), path.join(outDir, v.file))} (${fs.statSync(path.join(outDir, v.file)).size} bytes)`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
