// The classification worker (bundle/worker.ts) seen from the process that asks: one WorkerClient per backend, its
// log lines kept, and the answers checked by kind. The Workbench's ModelService asks it for workspace models and
// runs; `textbench classify --bundle` asks it for a bare bundle folder without opening any workspace. Either way
// TensorFlow.js runs in the worker, never on the asking thread.
import path from 'node:path';
import type { ClassifyFileResult } from '../../../shared/bundle.ts';
import type { ReadOptions } from '../../../shared/data.ts';
import type { Prediction, Progress } from '../../../shared/domain.ts';
import type { TextExplanation } from '../../../shared/linear.ts';
import { WorkerClient, type RequestOptions } from '../tasks/worker-client.ts';
import type { ClassifyEvent, ClassifyInit, ClassifyJob, ClassifyResult, EvictMessage } from './protocol.ts';

export class ClassifyClient {
  private host: WorkerClient<ClassifyJob, ClassifyResult, ClassifyEvent>;
  private backend: string | undefined;
  /** Lines TensorFlow.js printed in the worker (kept short; shown with TEXTBENCH_DEBUG). */
  readonly logs: string[] = [];

  constructor(backend?: string) {
    this.backend = backend;
    this.host = this.newHost(backend);
  }

  private newHost(backend: string | undefined): WorkerClient<ClassifyJob, ClassifyResult, ClassifyEvent> {
    return new WorkerClient({
      role: 'classify',
      name: 'the classification worker',
      data: { backend } satisfies ClassifyInit,
      unrefWhenIdle: true,
      onLog: (_level, message) => {
        this.logs.push(message);
        if (this.logs.length > 50) this.logs.shift();
        if (process.env.TEXTBENCH_DEBUG) process.stderr.write(`[classify worker] ${message}\n`);
      },
    });
  }

  /** The TensorFlow.js backend for the next worker (--backend); false when it is already the one. */
  useBackend(name: string | undefined): boolean {
    if (name === this.backend) return false;
    this.backend = name;
    // Takes effect with the next worker; a busy one finishes its requests first.
    if (!this.host.busy) this.host.stop();
    this.host = this.newHost(name);
    return true;
  }

  /** Starts the worker if needed; the number changes each time a new worker starts (its model cache is empty). */
  start(): number {
    return this.host.start();
  }

  notify(message: EvictMessage): void {
    this.host.notify({ ...message });
  }

  async ask<K extends ClassifyResult['kind']>(body: ClassifyJob, kind: K, options: RequestOptions<ClassifyEvent> = {}): Promise<Extract<ClassifyResult, { kind: K }>> {
    const r = await this.host.request(body, options).done;
    if (r.kind !== kind) throw new Error(`The classification worker answered a ${kind} request with ${r.kind}.`);
    return r as Extract<ClassifyResult, { kind: K }>;
  }

  /** Ends the worker and frees its models; the next request starts a new one. */
  stop(): void {
    this.host.stop();
  }
}

/** A bare bundle folder classified in the worker: nothing is stored anywhere. */
export class BundleClassifier {
  private readonly source: { kind: 'bundle'; dir: string };
  constructor(
    dir: string,
    private readonly client: ClassifyClient = new ClassifyClient(),
  ) {
    this.source = { kind: 'bundle', dir: path.resolve(dir) };
  }

  async classify(texts: string[]): Promise<Prediction[]> {
    return (await this.client.ask({ type: 'classify', source: this.source, texts }, 'classify')).predictions;
  }

  async explain(texts: string[], k?: number): Promise<TextExplanation[]> {
    return (await this.client.ask({ type: 'explain', source: this.source, texts, k }, 'explain')).explanations;
  }

  async classifyFile(
    request: { file: string; out: string; column?: string; force?: boolean; read?: ReadOptions; keepFormulas?: boolean },
    onProgress?: (p: Progress) => void,
    signal?: AbortSignal,
  ): Promise<ClassifyFileResult> {
    const body: ClassifyJob = { type: 'classifyFile', source: this.source, ...request, file: path.resolve(request.file), out: path.resolve(request.out), stream: false };
    const { result } = await this.client.ask(body, 'classifyFile', {
      signal,
      onEvent: (e) => {
        if (e.type === 'progress') onProgress?.(e.progress);
      },
    });
    return result;
  }

  dispose(): void {
    this.client.stop();
  }
}
