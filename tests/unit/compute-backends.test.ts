// `textbench backends`: each backend is probed in its own process; the report says which load,
// which one training uses, and why the others do not.
import { describe, expect, it } from 'vitest';
import { command, formatReport } from '../../main/cli/commands/backends.ts';
import { resolvable, type ProbeReport } from '../../main/engine/compute/probe.ts';
import { classifyAdapter } from '../../main/engine/compute/webgpu/adapters.ts';
import { HARDWARE_GPU, webgpuPackage } from '../fixtures/software-gpu.ts';
import { defaultThreads } from '../../main/engine/compute/rnn-wasm.ts';

// The wasm label counts the recurrent layers' threads (every core up to 16 by default).
const cpuLabel = `CPU: wasm, ${defaultThreads()} thread${defaultThreads() === 1 ? '' : 's'}`;

const installed = resolvable;

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  // The command itself, not the CLI's main(): backends needs no workspace, so the test does not
  // depend on the rest of the engine loading.
  const code = await command.run({
    values: { json: args.includes('--json') },
    positionals: [],
    json: args.includes('--json'),
    io: { out: (l) => out.push(l), err: (l) => err.push(l) },
    workbench: () => {
      throw new Error('backends must not open a workspace');
    },
  });
  return { code, out, err };
}

describe('textbench backends', () => {
  it.skipIf(installed('@tensorflow/tfjs-node') || HARDWARE_GPU)('--json: wasm and cpu load and train a step, native TensorFlow is missing with the reason and the fix', async () => {
    const { code, out } = await run(['backends', '--json']);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const report = JSON.parse(out[0]!) as ProbeReport;
    expect(report.backends.map((b) => b.name)).toEqual(['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    expect(report.chosen).toBe('wasm');
    expect(report.device).toBe(cpuLabel);
    const by = Object.fromEntries(report.backends.map((b) => [b.name, b]));
    expect(by.tensorflow).toMatchObject({ loads: false });
    expect(by.tensorflow!.reason).toBe(
      '@tensorflow/tfjs-node is not installed (it downloads TensorFlow at install time, which needs internet): npm install @tensorflow/tfjs-node',
    );
    expect(by['tensorflow-gpu']!.loads).toBe(false);
    expect(by.wasm).toMatchObject({ loads: true, version: expect.stringMatching(/^@tensorflow\/tfjs-backend-wasm /) });
    expect(by.wasm!.kernels).toContain('UnsortedSegmentSum (added)');
    expect(by.wasm!.notes?.join('; ')).toMatch(/SIMD (on|off).*; 1 thread/);
    expect(by.wasm!.notes?.join('; ')).toMatch(/pooling ops: WebAssembly ops\.c/);
    expect(by.cpu!.loads).toBe(true);
    expect(by.cpu!.kernels).toContain('UnsortedSegmentSum (replaced)');
    // The tests' GPU is SwiftShader (tests/fixtures/software-gpu.ts): it loads, is listed as software, and is
    // passed over by automatic choice. Without the optional webgpu package it is missing, with that reason.
    if (webgpuPackage().loads) {
      expect(by.webgpu).toMatchObject({ loads: true, automatic: false, device: expect.stringMatching(/^GPU \(software\): .*SwiftShader/) });
      expect(by.webgpu!.notAutomatic).toMatch(/software.*--backend webgpu/);
      expect(by.webgpu!.adapters).toContainEqual(expect.objectContaining({ architecture: 'swiftshader', software: true }));
    } else {
      expect(by.webgpu).toMatchObject({ loads: false, reason: expect.stringContaining('npm install webgpu') });
    }
  });

  it('prints a table for a person, and exits 1 when nothing loads', () => {
    const report: ProbeReport = {
      node: 'v20.0.0',
      platform: 'linux-x64',
      chosen: 'wasm',
      device: 'CPU: wasm, 1 thread',
      backends: [
        { name: 'tensorflow-gpu', loads: false, reason: 'gpu reason' },
        { name: 'tensorflow', loads: false, reason: 'native reason' },
        { name: 'wasm', loads: true, version: '@tensorflow/tfjs-backend-wasm 4.22.0', kernels: ['UnsortedSegmentSum (added)'] },
        { name: 'cpu', loads: true, version: '@tensorflow/tfjs-core 4.22.0' },
      ],
    };
    expect(formatReport(report)).toEqual([
      'TensorFlow.js backends on this machine (Node v20.0.0, linux-x64), best first:',
      '  tensorflow-gpu  missing  gpu reason',
      '  tensorflow      missing  native reason',
      '  wasm            loads    @tensorflow/tfjs-backend-wasm 4.22.0; kernels added by Textbench: UnsortedSegmentSum (added)',
      '  cpu             loads    @tensorflow/tfjs-core 4.22.0',
      'Training uses wasm (CPU: wasm, 1 thread), the first that loads and may be chosen automatically; choose another with --backend NAME.',
    ]);
    const none = formatReport({ ...report, chosen: null, backends: report.backends.map((b) => ({ name: b.name, loads: false, reason: 'x' })) });
    expect(none.at(-1)).toMatch(/^No backend loads here/);
  });

  it('prints the WebGPU adapters under the webgpu row, and says why a software one is not chosen', () => {
    const swiftshader = classifyAdapter({
      preference: 'high-performance', vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-',
      description: 'SwiftShader driver 5.0.0', fallback: true, maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30,
    });
    const lines = formatReport({
      node: 'v20.0.0',
      platform: 'linux-x64',
      chosen: 'cpu',
      device: 'CPU: JavaScript (cpu backend)',
      backends: [
        {
          name: 'webgpu', loads: true, version: 'webgpu 0.6.2', device: 'GPU (software): Google SwiftShader driver 5.0.0',
          automatic: false, notAutomatic: 'a software adapter: used only with --backend webgpu', adapters: [swiftshader],
        },
        { name: 'cpu', loads: true, version: '@tensorflow/tfjs-core 4.22.0' },
      ],
    });
    expect(lines).toEqual([
      'TensorFlow.js backends on this machine (Node v20.0.0, linux-x64), best first:',
      '  webgpu  manual   GPU (software): Google SwiftShader driver 5.0.0; webgpu 0.6.2; not chosen automatically: a software adapter: used only with --backend webgpu',
      '                   adapter GPU (software): Google SwiftShader driver 5.0.0 (vendor google, architecture swiftshader): software, SwiftShader, a software Vulkan driver that runs on the CPU',
      '  cpu     loads    @tensorflow/tfjs-core 4.22.0',
      'Training uses cpu (CPU: JavaScript (cpu backend)), the first that loads and may be chosen automatically; choose another with --backend NAME.',
    ]);
  });
});
