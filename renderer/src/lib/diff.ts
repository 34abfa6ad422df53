// Config comparison for the Runs view: flatten each run's config, line the keys up, mark what differs.

export interface DiffRow {
  key: string;
  values: string[];
  differs: boolean;
}

export function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length && prefix) out[prefix] = '{}';
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

/** One row per key present in any config; keys that differ first when `differencesFirst`. */
export function configDiff(configs: readonly unknown[], differencesFirst = true): DiffRow[] {
  const flat = configs.map((c) => flatten(c));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const rows = keys.map((key) => {
    const values = flat.map((f) => (key in f ? f[key]! : '—'));
    return { key, values, differs: new Set(values).size > 1 };
  });
  return differencesFirst ? [...rows.filter((r) => r.differs), ...rows.filter((r) => !r.differs)] : rows;
}
