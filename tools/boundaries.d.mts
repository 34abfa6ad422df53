/** The boundary problems of the whole tree (empty when every import keeps its boundary). */
export function check(dirs?: string[]): string[];
/** The boundary problems of one file: `rel` its path in the repository, `text` its source. */
export function problemsOf(rel: string, text: string): string[];
export function importsOf(text: string): Array<{ spec: string; line: number; typeOnly: boolean }>;
