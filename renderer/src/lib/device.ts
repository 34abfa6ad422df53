// Which device a run trains on, in the words and tones the app shows, and the fixes a GPU out-of-memory failure offers.
import type { DeviceInfo } from '../../../shared/compute.ts';

export interface DeviceBadge {
  text: string;
  /** 'gpu': a hardware GPU; 'software': a GPU API on a CPU rasteriser (slow; muted warning tone); 'cpu'. */
  tone: 'gpu' | 'software' | 'cpu';
  /** The tooltip: why a software adapter counts as software, and where the run computes when it raced GPU and CPU. */
  title: string;
}

/** The badge of a run's device; runs from before devices were recorded (null) fall back to their backend's name. */
export function deviceBadge(device: DeviceInfo | null | undefined, backend?: string | null): DeviceBadge | null {
  if (!device) return backend ? { text: backend, tone: 'cpu', title: `Trained with the ${backend} backend (the device was not recorded then).` } : null;
  const software = device.kind === 'gpu' && device.adapter?.software === true;
  const title = [software ? `Software GPU: ${device.adapter?.softwareReason ?? 'a CPU rasteriser, slow'}.` : '', device.note ?? '', backend ? `Backend: ${backend}.` : '']
    .filter(Boolean)
    .join(' ');
  return { text: device.label, tone: software ? 'software' : device.kind, title: title || device.label };
}

export interface GpuOutOfMemory {
  /** The batch size the run used, and half of it (at least 1). */
  batch: number;
  half: number;
  /** The run finished an epoch, so it can continue on the CPU from its checkpoint. */
  resumable: boolean;
}

/**
 * A run that failed because the GPU ran out of memory, read from its stored error: the training job
 * (train/job.ts withResumeCommand) ends such a message with "This run used batches of N: try --batch-size N/2." and,
 * when it has a checkpoint, "… textbench train --resume RUN --backend wasm.". Null for any other failure.
 */
export function gpuOutOfMemory(error: string | null | undefined): GpuOutOfMemory | null {
  const m = error ? /This run used batches of (\d+): try --batch-size (\d+)\./.exec(error) : null;
  if (!m) return null;
  return { batch: Number(m[1]), half: Number(m[2]), resumable: /--resume \S+ --backend wasm/.test(error!) };
}
