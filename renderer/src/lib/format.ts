// Numbers and times the way the views print them.

export function pct(x: number | null | undefined, digits = 1): string {
  return x == null || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(digits)}%`;
}

export function fixed(x: number | null | undefined, digits = 3): string {
  return x == null || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

export function count(n: number | null | undefined): string {
  return n == null ? '–' : n.toLocaleString('en-US');
}

/** 0:42, 3:05, 1:02:09 */
export function duration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

/** Where an engine error points, in words: "line 12, column "label"". */
export function errorLocation(details: Record<string, unknown> | undefined): string | null {
  if (!details) return null;
  const parts: string[] = [];
  if (typeof details.file === 'string') parts.push(details.file.split(/[\\/]/).pop()!);
  const line = details.line ?? (Array.isArray(details.lines) ? details.lines.join(', ') : undefined);
  if (line !== undefined) parts.push(`line ${String(line)}`);
  if (details.column !== undefined) parts.push(`column ${JSON.stringify(details.column)}`);
  if (details.field !== undefined) parts.push(`field ${JSON.stringify(details.field)}`);
  return parts.length ? parts.join(', ') : null;
}

/** Line numbers an error names, so the preview can mark those rows. */
export function errorLines(details: Record<string, unknown> | undefined): number[] {
  if (!details) return [];
  const out: number[] = [];
  if (typeof details.line === 'number') out.push(details.line);
  if (Array.isArray(details.lines)) for (const l of details.lines) if (typeof l === 'number') out.push(l);
  return out;
}
