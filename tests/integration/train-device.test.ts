// Every run records the device it trained on; a run started on the GPU resumes on the CPU from its checkpoint;
// a model too large for the GPU fails with the fix (smaller batch, the CPU), not with a WebGPU validation error.
// Through the Workbench and its training worker, into a real workspace, on real UCI sentences; the tests' GPU is
// SwiftShader (tests/fixtures/software-gpu.ts), which is used only when asked for by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workbench } from '../../main/engine/workbench.ts';
import { uciRows } from '../unit/loop-fixtures.ts';
import { HARDWARE_GPU, HARDWARE_GPU_SKIP, useSoftwareGpu, webgpuPackage } from '../fixtures/software-gpu.ts';
import { defaultThreads } from '../../main/engine/compute/rnn-wasm.ts';

// The wasm label counts the recurrent layers' threads (every core up to 16 by default).
const cpuLabel = `CPU: wasm, ${defaultThreads()} thread${defaultThreads() === 1 ? '' : 's'}`;

let dir: string;
let wb: Workbench;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textbench-device-'));
  const rows = uciRows().filter((r) => r.split === 'train').slice(0, 300);
  const csv = path.join(dir, 'mini.csv');
  const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
  fs.writeFileSync(csv, ['text,label', ...rows.map((r) => [q(r.text), r.label].join(','))].join('\n') + '\n');
  wb = Workbench.open({ workspace: path.join(dir, 'ws') });
  await wb.data.importFile(csv, { project: 'mini', text: ['text'], label: 'label' });
});

afterAll(async () => {
  await wb?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the device of a run', () => {
  it('a run on the automatic backend records the CPU it trained on', async () => {
    const r = await wb.training.train({ model: 'baseline', epochs: 1, embeddingDim: 8, seed: 1 });
    expect(r.status).toBe('finished');
    expect(r.device).toMatch(/^CPU: /);
    const summary = wb.training.list('mini').find((s) => s.id === r.run)!;
    expect(summary.device).toEqual({ kind: 'cpu', label: r.device });
  });
});

const pkg = webgpuPackage();

describe.skipIf(!pkg.loads)(`runs on the GPU${pkg.loads ? '' : ` (skipped: ${pkg.reason})`}`, () => {
  beforeAll(() => {
    const gpu = useSoftwareGpu();
    if (!gpu.ok) throw new Error(`The webgpu tests need SwiftShader: ${gpu.reason}`);
  });

  it('records the adapter, and resumes on the CPU from the checkpoint the GPU wrote', async () => {
    const first = await wb.training.train({ model: 'gru', backend: 'webgpu', epochs: 1, units: 8, embeddingDim: 8, sequenceLength: 12, batchSize: 64, seed: 2 });
    const onGpu = wb.training.get(first.run);
    if (HARDWARE_GPU) {
      expect(first).toMatchObject({ status: 'finished', backend: 'webgpu', device: expect.stringMatching(/^GPU: /) });
      expect(onGpu.device).toMatchObject({ kind: 'gpu', adapter: { software: false } });
    } else {
      expect(first).toMatchObject({ status: 'finished', backend: 'webgpu', device: 'GPU (software): Google SwiftShader driver 5.0.0' });
      expect(onGpu.device).toMatchObject({ kind: 'gpu', adapter: { vendor: 'google', architecture: 'swiftshader', software: true } });
    }

    wb.training.resume(first.run, { epochs: 2, backend: 'wasm' });
    const resumed = await wb.training.wait(first.run);
    expect(resumed).toMatchObject({ status: 'finished', backend: 'wasm', device: cpuLabel, epochs: 2 });
    const d = wb.training.get(first.run);
    expect(d.curve.map((e) => e.epoch)).toEqual([1, 2]);
    expect(d.config.backend).toBe('wasm');
    expect(d.device).toEqual({ kind: 'cpu', label: cpuLabel });
  });

  it.skipIf(HARDWARE_GPU)(`a model too large for the GPU fails with the batch size, the fix and no WebGPU jargon${HARDWARE_GPU ? ` (skipped: ${HARDWARE_GPU_SKIP}: sized to its 1 GiB limit)` : ''}`, async () => {
    // chars-lstm-full (1024 units) over 400 characters in batches of 256: its saved gate values alone need nearly
    // 2 GiB in one buffer, twice what SwiftShader allows.
    const r = await wb.training.train({ recipe: 'chars-lstm-full', backend: 'webgpu', epochs: 1, batchSize: 256, sequenceLength: 400, seed: 3 });
    expect(r.status).toBe('failed');
    // The batch holds the 240 train examples there are (the 60 others are validation).
    expect(r.error).toMatch(/does not fit the GPU: its saved gate values need 1875 MiB in one buffer, and this GPU allows 1024 MiB \(batch 240 × 400 steps × 1024 units\)/);
    expect(r.error).toMatch(/smaller batch \(--batch-size\).*the CPU \(--backend wasm\)\. This run used batches of 256: try --batch-size 128\.$/);
    expect(r.error).not.toMatch(/maxStorageBufferBindingSize|GPUValidationError/);
    expect(wb.training.get(r.run).status).toBe('failed');
  });
});
