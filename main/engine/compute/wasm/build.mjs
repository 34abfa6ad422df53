// Builds the project's WebAssembly kernels from C with Debian's clang 14 and lld 14 (no download):
//   rnn.wasm          the fused LSTM/GRU (rnn.c), 128-bit SIMD, imports an ordinary memory: one thread
//   rnn-threads.wasm  the same code for a shared memory, instantiated once per worker thread
//   rnn-fma.wasm, rnn-fma-threads.wasm  both again with fused multiply-adds (relaxed SIMD; see MADD in rnn.c),
//                     used wherever the engine accepts them, the two above elsewhere
//   adam.wasm         the fused Adam step and the gradients' sum of squares (adam.c), run on the tfjs wasm
//                     backend's own memory
//   ops.wasm          batched small matrix products (ops.c), run on that memory too
// All are committed; tests/unit/compute-wasm-build.test.ts rebuilds them and compares bytes.
//   node main/engine/compute/wasm/build.mjs           write the .wasm files next to rnn.c
//   node main/engine/compute/wasm/build.mjs --out D   write them into folder D instead
// Needs clang-14, wasm-ld-14 and llvm-objdump-14 (apt-get install clang-14 lld-14; llvm-14 has the objdump).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = import.meta.dirname;
const outArg = process.argv.indexOf('--out');
const outDir = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : here;

export const CLANG = 'clang-14';
export const WASM_LD = 'wasm-ld-14';
export const OBJDUMP = 'llvm-objdump-14';

// -O3 with SIMD; bulk memory turns the compiler's own memcpy/memset into wasm instructions (there is no libc).
const CFLAGS = ['--target=wasm32', '-O3', '-msimd128', '-mbulk-memory', '-mmutable-globals', '-nostdlib', '-ffreestanding', '-fno-exceptions', '-Wall', '-Werror'];
// No entry point, memory from the importer, and no custom sections (byte-stable output).
const LDFLAGS = ['--no-entry', '--import-memory', '--strip-all'];
// The RNN kernels' stack sits at the bottom of their own memory (JavaScript allocates above __heap_base and gives
// every thread its own stack by setting __stack_pointer).
const RNN_LDFLAGS = ['--stack-first', '-z', 'stack-size=65536', '--export=__stack_pointer', '--export=__heap_base', '--initial-memory=131072'];

// A shared memory must declare its maximum: 4 GiB, all that wasm32 addresses (only reserved, not committed).
const SHARED = ['--shared-memory', '--max-memory=4294967296'];
const FMA = ['-mrelaxed-simd', '-DRNN_FMA'];
const VARIANTS = [
  { file: 'rnn.wasm', source: 'rnn.c', cflags: [], ldflags: RNN_LDFLAGS },
  { file: 'rnn-threads.wasm', source: 'rnn.c', cflags: ['-matomics'], ldflags: [...RNN_LDFLAGS, ...SHARED] },
  { file: 'rnn-fma.wasm', source: 'rnn.c', cflags: FMA, ldflags: RNN_LDFLAGS, relaxed: true },
  { file: 'rnn-fma-threads.wasm', source: 'rnn.c', cflags: [...FMA, '-matomics'], ldflags: [...RNN_LDFLAGS, ...SHARED], relaxed: true },
  // Runs in another module's memory: no stack of its own at all.
  { file: 'adam.wasm', source: 'adam.c', cflags: [], ldflags: ['-z', 'stack-size=0'] },
  { file: 'ops.wasm', source: 'ops.c', cflags: [], ldflags: ['-z', 'stack-size=0'] },
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'textbench-wasm-'));
try {
  fs.mkdirSync(outDir, { recursive: true });
  for (const v of VARIANTS) {
    const obj = path.join(tmp, `${v.file}.o`);
    execFileSync(CLANG, [...CFLAGS, ...v.cflags, '-c', path.join(here, v.source), '-o', obj], { stdio: 'inherit' });
    execFileSync(WASM_LD, [...LDFLAGS, ...v.ldflags, obj, '-o', path.join(outDir, v.file)], { stdio: 'inherit' });
    if (v.relaxed) console.log(`  ${toRelaxedMadd(path.join(outDir, v.file))} f32x4.fma -> f32x4.relaxed_madd`);
    console.log(`built ${path.relative(process.cwd(), path.join(outDir, v.file))} (${fs.statSync(path.join(outDir, v.file)).size} bytes)`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

/**
 * Rewrites clang 14's prototype f32x4.fma (0xfd 0xaf 0x01) into the final relaxed-SIMD f32x4.relaxed_madd
 * (0xfd 0x85 0x02: opcode 0x105), in place. The instructions are found by disassembling the module, so only real
 * instruction starts are touched, never bytes of an immediate that happen to match. Returns how many.
 */
function toRelaxedMadd(file) {
  const bytes = fs.readFileSync(file);
  // File offset of the CODE section's contents (the disassembler's addresses count from there).
  let at = 8;
  let code = -1;
  while (at < bytes.length) {
    const id = bytes[at++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      size |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (id === 10) {
      code = at;
      break;
    }
    at += size;
  }
  if (code < 0) throw new Error(`${file}: no code section`);
  const listing = execFileSync(OBJDUMP, ['-d', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  let n = 0;
  for (const m of listing.matchAll(/^\s*([0-9a-f]+):\s+fd af 01\s+f32x4\.fma\s*$/gm)) {
    const i = code + Number.parseInt(m[1], 16);
    if (bytes[i] !== 0xfd || bytes[i + 1] !== 0xaf || bytes[i + 2] !== 0x01) throw new Error(`${file}: no f32x4.fma at code offset ${m[1]}`);
    bytes[i + 1] = 0x85;
    bytes[i + 2] = 0x02;
    n++;
  }
  if (n === 0) throw new Error(`${file}: built with RNN_FMA but has no f32x4.fma`);
  fs.writeFileSync(file, bytes);
  // clang 14's disassembler does not know the final opcode: it must list exactly those n as unknown, and no fma.
  const after = execFileSync(OBJDUMP, ['-d', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (/f32x4\.fma/.test(after) || (after.match(/fd 85 02\s+<unknown>/g) ?? []).length !== n) throw new Error(`${file}: the rewrite to relaxed_madd did not check out`);
  return n;
}
