// Which WebGPU adapters this machine has, and whether each is a real GPU or a software rasteriser running on
// the CPU (SwiftShader, llvmpipe/lavapipe, Microsoft's WARP). Software adapters compute correctly but slower than
// the wasm backend, so automatic backend choice never takes one; `--backend webgpu` may.
import { spawnNodeScript } from '../../node-child.ts';
import { fileURLToPath } from 'node:url';

import type { AdapterPreference, ClassifiedAdapter, GpuAdapter } from '../../../../shared/compute.ts';

export type { AdapterPreference, ClassifiedAdapter, GpuAdapter };

export interface AdapterSurvey {
  adapters: ClassifiedAdapter[];
  /** Why there is no adapter at all, in words a person can act on (only when adapters is empty). */
  problem?: string;
}

// Implementations that run on the CPU, as they name themselves in adapter info.
const SOFTWARE_NAMES: Array<[RegExp, string]> = [
  [/swiftshader/i, 'SwiftShader, a software Vulkan driver that runs on the CPU'],
  [/llvmpipe|lavapipe|softpipe/i, 'Mesa llvmpipe/lavapipe, a software driver that runs on the CPU'],
  [/microsoft basic render|\bwarp\b/i, 'Microsoft WARP (Basic Render Driver), a software driver that runs on the CPU'],
];

/** Software when Dawn marks it as a fallback adapter or when its name is one of the known CPU implementations. */
export function classifyAdapter(a: GpuAdapter): ClassifiedAdapter {
  const text = [a.vendor, a.architecture, a.device, a.description].join(' ');
  for (const [re, why] of SOFTWARE_NAMES) if (re.test(text)) return { ...a, software: true, softwareReason: why };
  if (a.fallback) return { ...a, software: true, softwareReason: 'the WebGPU implementation marks it as a fallback adapter (software or very limited)' };
  return { ...a, software: false };
}

function capitalise(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** The adapter in a few words: "NVIDIA H200", "AMD Radeon RX 7900 XTX", "SwiftShader driver 5.0.0". */
export function adapterName(a: GpuAdapter): string {
  const vendor = a.vendor.trim();
  const description = a.description.trim();
  if (description) return vendor && !description.toLowerCase().includes(vendor.toLowerCase()) ? `${capitalise(vendor)} ${description}` : description;
  const parts = [capitalise(vendor), a.architecture.trim(), a.device.trim()].filter(Boolean);
  return parts.length ? parts.join(' ') : 'unnamed adapter';
}

/** What the app and `serve` show for a run on this adapter: "GPU: NVIDIA H200" or "GPU (software): SwiftShader …". */
export function adapterLabel(a: ClassifiedAdapter): string {
  return a.software ? `GPU (software): ${adapterName(a)}` : `GPU: ${adapterName(a)}`;
}

/** The best adapter to train on: a hardware one (high-performance first), else a software one when allowed. */
export function pickAdapter(adapters: readonly ClassifiedAdapter[], allowSoftware: boolean): ClassifiedAdapter | undefined {
  const hardware = adapters.filter((a) => !a.software);
  const order: AdapterPreference[] = ['high-performance', 'low-power', 'fallback'];
  const byPreference = (list: ClassifiedAdapter[]) => [...list].sort((x, y) => order.indexOf(x.preference) - order.indexOf(y.preference));
  return byPreference(hardware)[0] ?? (allowSoftware ? byPreference(adapters.filter((a) => a.software))[0] : undefined);
}

/**
 * Turns what Dawn printed while finding no adapter into a reason with a fix. The common cases on Linux are a
 * missing Vulkan loader and a loader without any driver; elsewhere Dawn's own first line is passed on.
 */
export function explainNoAdapter(stderr: string): string {
  if (/libvulkan\.so\.1: cannot open shared object file/.test(stderr)) {
    return 'no WebGPU adapter: the Vulkan loader (libvulkan.so.1) is not installed. Install your GPU\'s Vulkan driver (Debian/Ubuntu: apt install libvulkan1 mesa-vulkan-drivers, or the NVIDIA driver)';
  }
  if (/Found no drivers|VK_ERROR_INCOMPATIBLE_DRIVER/.test(stderr)) {
    return 'no WebGPU adapter: Vulkan is installed but no Vulkan driver for a GPU is (Debian/Ubuntu: apt install mesa-vulkan-drivers, or the NVIDIA driver)';
  }
  const first = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('at '));
  return `no WebGPU adapter on this machine${first ? ` (${first.replace(/^Warning:\s*/, '')})` : ''}`;
}

const CHILD = fileURLToPath(new URL('./survey-child.mjs', import.meta.url));

/** Runs the survey in a child process (see survey-child.mjs for why); never throws, the problem is in the result. */
export function runSurvey(timeoutMs = 30_000): Promise<AdapterSurvey> {
  return new Promise((resolve) => {
    // A process of its own (plain Node; inside the desktop app, a utility process: ../../node-child.ts).
    const child = spawnNodeScript(CHILD, [], { timeoutMs });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.onError((e) => resolve({ adapters: [], problem: `the WebGPU survey process could not start: ${e.message}` }));
    child.onClose((code, signal) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (!line.startsWith('{')) {
        const why = signal === 'SIGTERM' ? `it did not answer within ${timeoutMs / 1000} s` : signal ? `it was killed by ${signal} (a GPU driver crashed?)` : `it exited with code ${code}`;
        resolve({ adapters: [], problem: `listing WebGPU adapters failed: ${why}${err.trim() ? `: ${err.trim().split('\n')[0]}` : ''}` });
        return;
      }
      const parsed = JSON.parse(line) as { adapters?: GpuAdapter[]; error?: string };
      if (parsed.error) return resolve({ adapters: [], problem: parsed.error });
      const adapters = (parsed.adapters ?? []).map(classifyAdapter);
      resolve(adapters.length ? { adapters } : { adapters, problem: explainNoAdapter(err) });
    });
  });
}

let cached: Promise<AdapterSurvey> | undefined;

/** The survey, once per process: adapters do not come and go while Textbench runs. */
export function surveyAdapters(): Promise<AdapterSurvey> {
  cached ??= runSurvey();
  return cached;
}
