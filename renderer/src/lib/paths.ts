// Paths as the Node side will read them, built in the renderer without node:path (Windows or POSIX style).

/** `name` inside `parent`, with the separator the parent path already uses. */
export function childPath(parent: string, name: string): string {
  const sep = parent.includes('\\') && !parent.includes('/') ? '\\' : '/';
  return `${parent.replace(/[\\/]+$/, '')}${sep}${name}`;
}

/** The last component of a path. */
export function baseName(p: string): string {
  return p.split(/[\\/]/).filter(Boolean).pop() ?? p;
}
