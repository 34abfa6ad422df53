import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** Why each better backend was passed over. */
  skipped: Array<{ name: BackendName; reason: string }>;
}

const require = createRequire(import.meta.url);

async function tryBackend(name: BackendName): Promise<void> {
  if (name === 'tensorflow-gpu') {
    require('@tensorflow/tfjs-node-gpu');
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node-gpu loaded but its backend did not start');
    return;
  }
  if (name === 'tensorflow') {
    require('@tensorflow/tfjs-node');
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node loaded but its backend did not start');
    return;
  }
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dir + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
    return;
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not start');
}

/** Picks the best backend that loads here (or the requested one) and makes it current. */
export async function initBackend(requested?: BackendName): Promise<BackendInfo> {
  const order = requested ? [requested] : BACKEND_ORDER;
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    try {
      await tryBackend(name);
      await tf.ready();
      return { name, skipped };
    } catch (err) {
      skipped.push({ name, reason: (err as Error).message.split('\n')[0]! });
    }
  }
  throw new Error(`No TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
