// Only types: a file with no executable statements.
export interface Point {
  x: number;
  y: number;
}

export type Pair<T> = [T, T];
