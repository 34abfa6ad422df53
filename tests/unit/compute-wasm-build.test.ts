// The committed WebAssembly kernels are exactly what their C source builds to: the build script runs again into a
// temporary folder with Debian's clang 14 and lld 14 and the bytes must match. CI installs the toolchain
// (.ci/run); a machine without it skips this file with a message saying what to install, except under CI, where
// a missing toolchain is a failure.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileRelaxed } from '../../main/engine/compute/rnn-wasm.ts';

const dir = path.resolve(import.meta.dirname, '../../main/engine/compute/wasm');
const tools = ['clang-14', 'wasm-ld-14', 'llvm-objdump-14'];
const missing = tools.filter((t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status !== 0);
if (missing.length && !process.env.CI) console.warn(`compute-wasm-build: skipped, ${missing.join(' and ')} not found (apt-get install clang-14 lld-14 llvm-14)`);

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-wasm-build-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe.skipIf(missing.length > 0 && !process.env.CI)('WebAssembly kernels build', () => {
  it('rebuilds byte for byte from rnn.c', () => {
    expect(missing, 'the toolchain CI installs').toEqual([]);
    execFileSync(process.execPath, [path.join(dir, 'build.mjs'), '--out', out], { stdio: 'pipe' });
    for (const file of ['rnn.wasm', 'rnn-threads.wasm', 'rnn-fma.wasm', 'rnn-fma-threads.wasm', 'adam.wasm', 'ops.wasm']) {
      const built = fs.readFileSync(path.join(out, file));
      const committed = fs.readFileSync(path.join(dir, file));
      expect(built.length, `${file} size`).toBe(committed.length);
      expect(built.equals(committed), `${file}: rebuild it with node main/engine/compute/wasm/build.mjs and commit it`).toBe(true);
    }
  });

  it.each([
    ['adam.wasm', ['adam', 'sum_squares'], /f32x4\.div/],
    ['ops.wasm', ['batch_matmul', 'compare_f32', 'max_middle'], /f32x4\.mul/],
  ] as const)('gives %s, a module that uses no memory of its own: its code touches no global (no stack) and it has no data', (name, exports, instruction) => {
    const file = path.join(dir, name);
    const module = new WebAssembly.Module(fs.readFileSync(file));
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(WebAssembly.Module.exports(module)).toEqual(exports.map((e) => ({ name: e, kind: 'function' })));
    const code = execFileSync('llvm-objdump-14', ['-d', file], { encoding: 'utf8' });
    expect(code).toMatch(instruction); // the disassembly really lists the instructions
    expect(code).not.toMatch(/global\.(get|set)/);
    expect(execFileSync('llvm-objdump-14', ['-h', file], { encoding: 'utf8' })).not.toMatch(/\bDATA\b/);
  });

  it('gives modules that import their memory and export the kernel entry points', () => {
    for (const [file, shared] of [
      ['rnn.wasm', false],
      ['rnn-threads.wasm', true],
      ['rnn-fma.wasm', false],
      ['rnn-fma-threads.wasm', true],
    ] as const) {
      const module = compileRelaxed(fs.readFileSync(path.join(dir, file)));
      expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
      expect(WebAssembly.Module.exports(module).map((e) => e.name).sort()).toEqual(['__heap_base', '__stack_pointer', 'run', 'sum_partials', 'transpose']);
      // The threaded module needs a shared memory; the other refuses one that is shared.
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared });
      expect(() => new WebAssembly.Instance(module, { env: { memory } })).not.toThrow();
    }
  });

  it('gives FMA builds whose multiply-adds are relaxed_madd (opcode 0x105), and plain builds without any', () => {
    // clang 14's disassembler lists the final opcode as unknown; the plain builds multiply and add separately.
    const listing = (file: string): string => execFileSync('llvm-objdump-14', ['-d', path.join(dir, file)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    for (const file of ['rnn-fma.wasm', 'rnn-fma-threads.wasm']) {
      const code = listing(file);
      expect(code).not.toMatch(/f32x4\.fma/);
      expect((code.match(/fd 85 02\s+<unknown>/g) ?? []).length, file).toBeGreaterThanOrEqual(8);
      expect(code.match(/<unknown>/g)?.length, `${file}: nothing else unknown`).toBe(code.match(/fd 85 02\s+<unknown>/g)?.length);
    }
    for (const file of ['rnn.wasm', 'rnn-threads.wasm']) {
      const code = listing(file);
      expect(code).not.toMatch(/<unknown>|f32x4\.fma/);
      expect(code).toMatch(/f32x4\.mul/);
    }
  });
});
