// Small arithmetic helpers: some branches are tested, some are not.
export function clamp(x: number, lo: number, hi: number): number {
  if (lo > hi) {
    throw new RangeError(`lo ${lo} > hi ${hi}`);
  }
  if (x < lo) {
    return lo;
  }
  if (x > hi) {
    return hi;
  }
  return x;
}

export function mean(xs: number[]): number {
  if (xs.length === 0) {
    return NaN;
  }
  let sum = 0;
  for (const x of xs) {
    sum += x;
  }
  return sum / xs.length;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
