// Tasks (engine/tasks/tasks.ts): one shape for all long work, progress that never goes backwards, cancel; and the
// CLI's progress bars drawn from their events.
import { describe, expect, it } from 'vitest';
import { TaskService } from '../../main/engine/tasks/tasks.ts';
import { cancelledError } from '../../main/engine/tasks/wire.ts';
import { barLine, ProgressBars } from '../../main/cli/progress.ts';
import type { WorkbenchEvent } from '../../shared/events.ts';
import type { TaskInfo } from '../../shared/tasks.ts';

function service(): { tasks: TaskService; changes: TaskInfo[] } {
  const changes: TaskInfo[] = [];
  const tasks = new TaskService((e: WorkbenchEvent) => {
    if (e.type === 'task.changed') changes.push(e.task);
  });
  return { tasks, changes };
}

describe('tasks', () => {
  it('report progress that never moves backwards, end with their result, and say so in events', async () => {
    const { tasks, changes } = service();
    const { task, done } = tasks.run({ kind: 'import', title: 'Importing a.csv', project: 'p1' }, async (t) => {
      t.progress({ done: 10, total: 100, unit: 'bytes' });
      t.progress({ done: 5, total: 100, unit: 'bytes' });
      await new Promise((r) => setTimeout(r, 120));
      t.progress({ done: 100, total: 100, unit: 'bytes' });
      return 42;
    });
    expect(task).toMatchObject({ kind: 'import', state: 'running', project: 'p1' });
    expect(tasks.list()).toHaveLength(1);
    expect(await done).toBe(42);
    const seen = changes.filter((c) => c.progress).map((c) => c.progress!.done);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(100);
    expect(changes.at(-1)).toMatchObject({ id: task.id, state: 'done', error: null });
    expect(changes.at(-1)!.finishedAt).not.toBeNull();
    expect(tasks.list('p1').map((t) => t.id)).toEqual([task.id]);
    expect(tasks.list('other')).toEqual([]);
  });

  it('cancel() aborts the work; its end is "cancelled", a thrown error is "failed" with the message', async () => {
    const { tasks } = service();
    const slow = tasks.run({ kind: 'lr-find', title: 'sweep' }, (t) =>
      new Promise((_, reject) => t.signal.addEventListener('abort', () => reject(cancelledError('The sweep')))),
    );
    expect(tasks.cancel(slow.task.id).state).toBe('running');
    await expect(slow.done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(tasks.get(slow.task.id).state).toBe('cancelled');
    const bad = tasks.run({ kind: 'compare', title: 'compare' }, async () => {
      throw new Error('Unknown recipe "x".');
    });
    await expect(bad.done).rejects.toThrow('Unknown recipe');
    expect(tasks.get(bad.task.id)).toMatchObject({ state: 'failed', error: 'Unknown recipe "x".' });
    // Running tasks first, then the ended ones, newest first.
    const running = tasks.run({ kind: 'training', title: 'train', run: 'run-1' }, () => new Promise(() => {}));
    expect(tasks.list().map((t) => t.id)).toEqual([running.task.id, bad.task.id, slow.task.id]);
    expect(() => tasks.cancel('task-nope')).toThrow(/No task "task-nope"/);
  });
});

describe('progress bars', () => {
  const task = (over: Partial<TaskInfo>): TaskInfo => ({ id: 't1', kind: 'training', title: 'Training gru on reviews', project: null, run: null, state: 'running', progress: null, startedAt: '', finishedAt: null, error: null, ...over });

  it('draw a bar with the share, the amounts and the title, cut to the width', () => {
    expect(barLine(task({ progress: { done: 9, total: 20, unit: 'epochs' } }), 100)).toBe('[#########...........]  45%  9/20 epochs  Training gru on reviews');
    expect(barLine(task({ kind: 'import', progress: { done: 2_500_000, total: 10_000_000, unit: 'bytes' } }), 100)).toContain('25%  2.5M/10.0M bytes');
    expect(barLine(task({}), 100)).toContain('starting');
    const cut = barLine(task({ progress: { done: 1, total: 2, unit: 'runs' } }), 30);
    expect(cut).toHaveLength(30);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('keep log lines above the bars and clear them at the end', () => {
    let screen = '';
    const bars = new ProgressBars({ write: (s: string) => (screen += s), columns: 80 });
    bars.onEvent({ type: 'task.changed', task: task({ progress: { done: 1, total: 4, unit: 'epochs' } }) });
    expect(screen).toContain('[#####...............]  25%');
    screen = '';
    bars.log('epoch 1/4: loss 0.5');
    // Up one line, clear, the log line, the bar again below it.
    expect(screen).toBe('\x1b[1A\x1b[0Jepoch 1/4: loss 0.5\n[#####...............]  25%  1/4 epochs  Training gru on reviews\n');
    screen = '';
    bars.onEvent({ type: 'task.changed', task: task({ state: 'done', progress: { done: 4, total: 4, unit: 'epochs' } }) });
    expect(screen).toBe('\x1b[1A\x1b[0J');
    bars.close();
  });
});
