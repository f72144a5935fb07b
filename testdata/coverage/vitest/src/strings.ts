// String helpers: only slug is tested.
export function slug(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export function truncate(s: string, n: number): string {
  if (s.length <= n) {
    return s;
  }
  return s.slice(0, Math.max(0, n - 1)) + '…';
}

export const greeting = (name?: string): string => (name ? `hello ${name}` : 'hello');
