// The webgpu backend: adapters are surveyed and classified (SwiftShader and other CPU rasterisers are software),
// automatic choice passes a software adapter over while --backend webgpu uses it, the run's device says which GPU,
// and a GPU allocation that cannot succeed becomes an error that names the fix. The tests' GPU is SwiftShader
// (tests/fixtures/software-gpu.ts): real Dawn, real WGSL, on the CPU.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { adapterLabel, classifyAdapter, explainNoAdapter, pickAdapter, surveyAdapters, type GpuAdapter } from '../../main/engine/compute/webgpu/adapters.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import { HARDWARE_GPU, HARDWARE_GPU_SKIP, useSoftwareGpu, webgpuPackage } from '../fixtures/software-gpu.ts';

const adapter = (a: Partial<GpuAdapter>): GpuAdapter => ({
  preference: 'high-performance',
  vendor: '',
  architecture: '',
  device: '',
  description: '',
  fallback: false,
  maxBufferSize: 2 ** 32,
  maxStorageBufferBindingSize: 2 ** 31,
  ...a,
});

describe('WebGPU adapters', () => {
  it('tells real GPUs from software ones by the fallback flag and by the known CPU implementations', () => {
    const nvidia = classifyAdapter(adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }));
    expect(nvidia).toMatchObject({ software: false });
    expect(adapterLabel(nvidia)).toBe('GPU: NVIDIA H200');
    expect(adapterLabel(classifyAdapter(adapter({ vendor: 'amd', architecture: 'rdna-3', description: 'Radeon RX 7900 XTX' })))).toBe('GPU: Amd Radeon RX 7900 XTX');
    expect(adapterLabel(classifyAdapter(adapter({ vendor: 'apple', architecture: 'metal-3' })))).toBe('GPU: Apple metal-3');
    for (const a of [
      { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' },
      { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' },
      { vendor: 'microsoft', description: 'Microsoft Basic Render Driver' },
      { vendor: 'someone', description: 'Unknown', fallback: true },
    ]) {
      const c = classifyAdapter(adapter(a));
      expect(c.software, JSON.stringify(a)).toBe(true);
      expect(c.softwareReason).toBeTruthy();
      expect(adapterLabel(c)).toMatch(/^GPU \(software\): /);
    }
  });

  it('picks a hardware adapter, high-performance first, and a software one only when allowed', () => {
    const integrated = classifyAdapter(adapter({ preference: 'low-power', vendor: 'intel', description: 'Intel UHD 630' }));
    const discrete = classifyAdapter(adapter({ preference: 'high-performance', vendor: 'nvidia', description: 'NVIDIA RTX 4090' }));
    const swift = classifyAdapter(adapter({ preference: 'fallback', vendor: 'google', architecture: 'swiftshader', fallback: true }));
    expect(pickAdapter([integrated, swift, discrete], false)).toBe(discrete);
    expect(pickAdapter([swift, integrated], false)).toBe(integrated);
    expect(pickAdapter([swift], false)).toBeUndefined();
    expect(pickAdapter([swift], true)).toBe(swift);
  });

  it('explains a machine without an adapter in words a person can act on', () => {
    expect(explainNoAdapter("Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory")).toMatch(
      /Vulkan loader \(libvulkan\.so\.1\) is not installed.*apt install libvulkan1/,
    );
    expect(explainNoAdapter('Warning: vkCreateInstance: Found no drivers!')).toMatch(/no Vulkan driver for a GPU.*mesa-vulkan-drivers/);
    expect(explainNoAdapter('')).toBe('no WebGPU adapter on this machine');
  });
});

const pkg = webgpuPackage();

const skip = !pkg.loads ? pkg.reason : HARDWARE_GPU ? HARDWARE_GPU_SKIP : null;

describe.skipIf(skip !== null)(`the webgpu backend on the tests' software GPU${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(() => {
    const gpu = useSoftwareGpu();
    if (!gpu.ok) throw new Error(`The webgpu tests need SwiftShader: ${gpu.reason}`);
  });

  it('the survey finds SwiftShader and marks it software', async () => {
    const survey = await surveyAdapters();
    expect(survey.problem).toBeUndefined();
    const swift = survey.adapters.find((a) => a.architecture === 'swiftshader');
    expect(swift).toMatchObject({ vendor: 'google', software: true, softwareReason: expect.stringContaining('SwiftShader') });
  });

  it('automatic choice passes the software adapter over; --backend webgpu uses it and the device says so', async () => {
    const auto = await initBackend();
    expect(auto.name).not.toBe('webgpu');
    expect(auto.skipped[0]).toEqual({ name: 'webgpu', reason: expect.stringMatching(/SwiftShader.*software.*only when asked for: --backend webgpu/) });
    expect(auto.device.kind).toBe('cpu');

    const gpu = await initBackend('webgpu');
    expect(gpu.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(gpu.version).toMatch(/^@tensorflow\/tfjs-backend-webgpu 4\.22\.0, webgpu \d+\.\d+\.\d+ \(Dawn\)$/);
    expect(gpu.device).toMatchObject({ kind: 'gpu', label: 'GPU (software): Google SwiftShader driver 5.0.0', adapter: { software: true, architecture: 'swiftshader' } });
    // It computes: a product read back asynchronously (the only way to read GPU memory in Node).
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1], [1]]));
    expect(Array.from(await y.data())).toEqual([3, 7]);
    y.dispose();

    // Automatic choice still passes it over after it has been used by name.
    const again = await initBackend();
    expect(again.name).not.toBe('webgpu');
  });

  it('a tensor larger than the GPU allows fails with the fix (smaller batch, another backend) instead of garbage', async () => {
    await initBackend('webgpu');
    const { maxBufferSize } = (await surveyAdapters()).adapters.find((a) => a.software)!;
    // One float more than the largest buffer the adapter allows: WebGPU refuses the allocation asynchronously.
    const floats = maxBufferSize / 4 + 1;
    const big = tf.fill([floats], 1);
    const err = await big.data().then(
      () => undefined,
      (e: unknown) => e,
    );
    big.dispose();
    expect(err).toBeInstanceOf(TextbenchError);
    expect((err as TextbenchError).code).toBe('gpu_out_of_memory');
    expect((err as TextbenchError).message).toMatch(/SwiftShader.*ran out of memory.*smaller batch \(--batch-size\).*--backend wasm.*resume/);
    // The backend works again afterwards.
    expect(Array.from(await tf.add(tf.tensor1d([1]), tf.tensor1d([2])).data())).toEqual([3]);
  });
});
