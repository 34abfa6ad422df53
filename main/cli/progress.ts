// Progress bars for the tasks a command runs (training, compare, auto search, lr-find, classify --file, import),
// drawn on stderr when it is a terminal: one line per running task, redrawn in place below the log lines.
// Elsewhere (pipes, CI, tests) nothing is drawn and the commands' own progress lines are all there is.
import type { TaskInfo } from '../../shared/tasks.ts';
import type { WorkbenchEvent } from '../../shared/events.ts';

/** At most this many redraws a second: a terminal is not a video. */
const REDRAW_MS = 100;
const MAX_LINES = 4;

/** One task as a bar line of at most `width` characters: "[#####.....]  45%  9/20 epochs  Training gru on mini". */
export function barLine(task: TaskInfo, width: number): string {
  const p = task.progress;
  const barWidth = 20;
  let bar: string;
  let figures: string;
  if (p && p.total) {
    const share = Math.min(1, p.done / p.total);
    const full = Math.round(share * barWidth);
    bar = `[${'#'.repeat(full)}${'.'.repeat(barWidth - full)}]`;
    figures = `${String(Math.floor(share * 100)).padStart(3)}%  ${amount(p.done, p.unit)}/${amount(p.total, p.unit)} ${p.unit}`;
  } else {
    bar = `[${'.'.repeat(barWidth)}]`;
    figures = p ? `${amount(p.done, p.unit)} ${p.unit}` : 'starting';
  }
  const line = `${bar} ${figures}  ${task.title}${p?.message ? ` (${p.message})` : ''}`;
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}

function amount(n: number, unit: string): string {
  if (unit !== 'bytes') return String(n);
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : String(n);
}

export interface TerminalLike {
  write(text: string): unknown;
  columns?: number;
}

export class ProgressBars {
  private readonly running = new Map<string, TaskInfo>();
  private drawn = 0;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly term: TerminalLike) {}

  /** Feed every workbench event; task changes redraw the bars. */
  onEvent(e: WorkbenchEvent): void {
    if (e.type !== 'task.changed') return;
    if (e.task.state === 'running') this.running.set(e.task.id, e.task);
    else this.running.delete(e.task.id);
    this.schedule(e.task.state !== 'running');
  }

  /** A log line: printed above the bars, which are drawn again below it. */
  log(line: string): void {
    this.above(() => this.term.write(`${line}\n`));
  }

  /** Writes something else to the same screen (stdout on a terminal) above the bars. */
  above(write: () => void): void {
    this.clear();
    write();
    this.draw();
  }

  /** Removes the bars (at the end of the command). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.clear();
  }

  private schedule(now: boolean): void {
    const wait = REDRAW_MS - (Date.now() - this.lastDraw);
    if (now || wait <= 0) {
      this.clear();
      this.draw();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.clear();
        this.draw();
      }, wait);
      this.timer.unref();
    }
  }

  private clear(): void {
    // Up to the first bar line, then clear to the end of the screen.
    if (this.drawn) this.term.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    this.lastDraw = Date.now();
    const width = Math.max(20, (this.term.columns || 80) - 1);
    const tasks = [...this.running.values()].slice(-MAX_LINES);
    for (const t of tasks) this.term.write(`${barLine(t, width)}\n`);
    this.drawn = tasks.length;
  }
}
