/** One record as a reader yields it: cells in file order (CSV/TSV/XLSX) or named values (JSON, JSON Lines). */
export type RawRecord = { line: number; cells: string[]; values?: undefined } | { line: number; values: Map<string, string>; cells?: undefined };
