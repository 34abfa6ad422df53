// The contract itself: every request has a schema and a handler, defaults are applied before the engine sees
// an input, and the output types are the engine's (pinned at type level).
import { describe, expect, expectTypeOf, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { API, API_NAMES, ExampleQuerySchema, isApiName, type ApiInput, type ApiOutput, type ApiParsed } from '../../shared/api.ts';
import type { Project } from '../../shared/domain.ts';
import type { ExamplePage, ReviewReport } from '../../shared/data.ts';
import type { RunDetail } from '../../shared/training.ts';
import { Workbench } from '../../main/engine/workbench.ts';
import { createHandlers } from '../../main/api/handlers.ts';
import { dispatch } from '../../main/api/dispatch.ts';

describe('the API map', () => {
  it('has a handler for every request and no handler without a request', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-api-'));
    const wb = Workbench.open({ workspace: dir });
    try {
      const handlers = createHandlers(wb, { mode: 'browser', version: 't', maxUploadBytes: null });
      expect(Object.keys(handlers).sort()).toEqual([...API_NAMES].sort());
      const presets = await dispatch(handlers, 'training.presets', {}, { mode: 'browser' });
      expect(presets.ok && (presets.result as Array<{ name: string }>).map((p) => p.name)).toEqual(expect.arrayContaining(['baseline', 'lstm', 'gru', 'bigru']));
    } finally {
      await wb.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('marks the native-dialog requests as desktop-only', () => {
    expect(API_NAMES.filter((n) => API[n].electronOnly).sort()).toEqual(['app.pickFile', 'app.pickFolder', 'app.reveal']);
  });

  it('recognises only its own names', () => {
    expect(isApiName('projects.list')).toBe(true);
    expect(isApiName('toString')).toBe(false);
    expect(isApiName('__proto__')).toBe(false);
  });

  it('applies defaults and bounds before the engine sees the input', () => {
    expect(ExampleQuerySchema.parse({ project: 'p' })).toMatchObject({ offset: 0, limit: 100 });
    expect(ExampleQuerySchema.safeParse({ project: 'p', limit: 1_000_000 }).success).toBe(false);
    expect(API['data.import'].input.parse({ file: 'f.csv', project: 'p', text: ['t'], label: 'l' })).toMatchObject({ split: null });
    expect(API['training.evaluate'].input.parse({ run: 'r' })).toEqual({ run: 'r', split: 'test' });
    expect(API['training.start'].input.safeParse({ project: 'p', model: 'transformer' }).success).toBe(false);
    expect(API['projects.delete'].input.safeParse({ project: 'p', confirm: false }).success).toBe(false);
    // The automatic search needs a budget: time or trials.
    expect(API['training.autoStart'].input.safeParse({ project: 'p' }).success).toBe(false);
    expect(API['training.autoStart'].input.safeParse({ project: 'p', budgetMinutes: 5 }).success).toBe(true);
    expect(API['training.lrFind'].input.safeParse({ project: 'p', steps: 5 }).success).toBe(false);
  });

  it('types inputs and outputs from the engine contracts', () => {
    expectTypeOf<ApiOutput<'projects.list'>>().toEqualTypeOf<Project[]>();
    expectTypeOf<ApiOutput<'data.review'>>().toEqualTypeOf<ReviewReport>();
    expectTypeOf<ApiOutput<'data.examples'>>().toEqualTypeOf<ExamplePage>();
    expectTypeOf<ApiOutput<'training.get'>>().toEqualTypeOf<RunDetail>();
    expectTypeOf<ApiInput<'data.examples'>>().toHaveProperty('offset');
    expectTypeOf<ApiParsed<'data.examples'>['limit']>().toEqualTypeOf<number>();
  });
});
