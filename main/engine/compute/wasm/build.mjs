// Builds the fused LSTM/GRU WebAssembly kernels from rnn.c with Debian's clang 14 and lld 14 (no download):
//   rnn.wasm          128-bit SIMD, imports an ordinary memory: one thread
//   rnn-threads.wasm  the same code for a shared memory, instantiated once per worker thread
// Both are committed; tests/unit/compute-wasm-build.test.ts rebuilds them and compares bytes.
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
// No entry point, memory from the importer, the stack at the bottom (JavaScript allocates above __heap_base and
// gives every thread its own stack by setting __stack_pointer), and no custom sections (byte-stable output).
const LDFLAGS = ['--no-entry', '--import-memory', '--stack-first', '-z', 'stack-size=65536', '--export=__stack_pointer', '--export=__heap_base', '--strip-all'];

const VARIANTS = [
  { file: 'rnn.wasm', cflags: [], ldflags: ['--initial-memory=131072'] },
  // A shared memory must declare its maximum: 4 GiB, all that wasm32 addresses (only reserved, not committed).
  { file: 'rnn-threads.wasm', cflags: ['-matomics'], ldflags: ['--shared-memory', '--initial-memory=131072', '--max-memory=4294967296'] },
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'textbench-wasm-'));
try {
  fs.mkdirSync(outDir, { recursive: true });
  for (const v of VARIANTS) {
    const obj = path.join(tmp, `${v.file}.o`);
    execFileSync(CLANG, [...CFLAGS, ...v.cflags, '-c', path.join(here, 'rnn.c'), '-o', obj], { stdio: 'inherit' });
    execFileSync(WASM_LD, [...LDFLAGS, ...v.ldflags, obj, '-o', path.join(outDir, v.file)], { stdio: 'inherit' });
    console.log(`built ${path.relative(process.cwd(), path.join(outDir, v.file))} (${fs.statSync(path.join(outDir, v.file)).size} bytes)`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
