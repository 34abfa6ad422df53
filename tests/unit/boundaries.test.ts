// The import-boundary rule (tools/boundaries.mjs): the tree keeps it, and it catches each kind of crossing.
import { describe, it, expect } from 'vitest';
import { check, problemsOf as problems } from '../../tools/boundaries.mjs';

describe('import boundaries', () => {
  it('hold in the whole tree', () => {
    expect(check()).toEqual([]);
  });

  it('catch an upward import from store/, the renderer reaching into main/, and Node in shared/', () => {
    expect(problems('main/engine/store/x.ts', "import { runJob } from '../train/job.ts';")).toEqual([expect.stringMatching(/^main\/engine\/store\/x\.ts:1: .*may not import main\/engine\/train\/job\.ts/)]);
    // A type-only import from above is an upward arrow too.
    expect(problems('main/engine/store/x.ts', "import type { LinearModel } from '../train/linear/model.ts';")).toHaveLength(1);
    expect(problems('renderer/src/lib/x.ts', "import {\n  Workbench,\n} from '../../../main/engine/workbench.ts';")).toEqual([expect.stringMatching(/x\.ts:1: .*renderer\/src\/ may not import main\/engine\/workbench\.ts/)]);
    expect(problems('shared/x.ts', "import fs from 'node:fs';\nimport { z } from 'zod';")).toEqual([expect.stringMatching(/shared\/ may not import node:fs/)]);
    expect(problems('main/app/x.ts', "const s = await import('../server/server.ts');")).toHaveLength(1);
    expect(problems('main/engine/x.ts', "import { app } from 'electron';")).toHaveLength(1);
  });

  it('let through what is allowed: downward imports', () => {
    expect(problems('main/engine/store/x.ts', "import { TextbenchError } from '../errors.ts';\nimport type { PipelineJSON } from '../text/types.ts';")).toEqual([]);
    expect(problems('main/app/x.ts', "import { Workbench } from '../engine/workbench.ts';\nimport { createHandlers } from '../api/handlers.ts';")).toEqual([]);
  });
});
