// The doctor's findings and actions in the machine-readable outputs: `train --json` and `runs RUN --json`
// carry them in the shape, and they stream as events while the run trains (through the worker).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workbench } from '../../main/engine/workbench.ts';
import type { WorkbenchEvent } from '../../shared/events.ts';
import { miniUciWorkspace, runCli, type MiniWorkspace } from '../fixtures/mini-workspace.ts';

let mini: MiniWorkspace;
let ws: string;

beforeAll(async () => {
  mini = await miniUciWorkspace('textbench-doctor-cli-', { train: 300, test: 60 });
  ws = mini.ws;
});

afterAll(() => mini.cleanup());

const cli = runCli;

const FINDING_KEYS = ['epochs', 'evidence', 'kind', 'message', 'severity'];
const ACTION_KEYS = ['after', 'before', 'epoch', 'kind'];

describe('doctor output', () => {
  it('train --json and runs RUN --json carry the plateau finding and the learning-rate action', async () => {
    const r = await cli(['train', '--workspace', ws, '--model', 'gru', '--units', '8', '--embedding-dim', '8', '--seq-len', '16', '--optimizer', 'rmsprop', '--lr', '1e-6', '--epochs', '5', '--early-stop', 'none', '--json']);
    expect(r.code, r.err.join('\n')).toBe(0);
    const res = JSON.parse(r.out[0]!) as { run: string; findings: Array<Record<string, unknown>>; actions: Array<Record<string, unknown>> };
    const plateau = res.findings.find((f) => f.kind === 'plateau');
    expect(plateau, JSON.stringify(res.findings)).toBeDefined();
    for (const k of FINDING_KEYS) expect(plateau).toHaveProperty(k);
    expect(['info', 'warning', 'error']).toContain(plateau!.severity);
    expect(plateau!.epochs).toEqual([expect.any(Number), expect.any(Number)]);
    const lr = res.actions.find((a) => a.kind === 'lr-change');
    expect(lr).toBeDefined();
    for (const k of ACTION_KEYS) expect(lr).toHaveProperty(k);
    expect(lr).toMatchObject({ before: 1e-6, after: 1e-4 });

    const shown = await cli(['runs', res.run, '--workspace', ws, '--json']);
    expect(shown.code).toBe(0);
    const d = JSON.parse(shown.out[0]!) as { findings: unknown[]; actions: unknown[]; curve: Array<{ learningRate: number }> };
    expect(d.findings).toEqual(res.findings);
    expect(d.actions).toEqual(res.actions);
    // The curve shows the raised rate after the action.
    const after = d.curve.filter((e) => (e as unknown as { epoch: number }).epoch > (lr!.epoch as number));
    expect(after.length).toBeGreaterThan(0);
    for (const e of after) expect(e.learningRate).toBe(1e-4);
  });

  it('--no-repair reports the finding but takes no action; events stream findings and actions', async () => {
    const wb = Workbench.open({ workspace: ws });
    const events: WorkbenchEvent[] = [];
    wb.onEvent((e) => events.push(e));
    try {
      const res = await wb.training.train({ model: 'gru', units: 8, embeddingDim: 8, sequenceLength: 16, optimizer: 'rmsprop', learningRate: 1e-6, epochs: 3, earlyStop: 'none', repair: false });
      expect(res.findings.some((f) => f.kind === 'plateau')).toBe(true);
      expect(res.actions).toEqual([]);
      const streamed = events.filter((e) => e.type === 'training.finding' && e.run === res.run);
      expect(streamed.length).toBe(res.findings.length);
    } finally {
      await wb.close();
    }
  });
});
