import { describe, expect, it } from 'vitest';
import { clamp, mean } from '../src/math';
import { slug, greeting } from '../src/strings';
import type { Point } from '../src/types';

describe('math', () => {
  it('clamps', () => {
    expect(clamp(5, 0, 10)).toBe(5);
    expect(clamp(-1, 0, 10)).toBe(0);
  });
  it('means', () => {
    expect(mean([1, 2, 3])).toBe(2);
  });
});

describe('strings', () => {
  it('slugs', () => {
    expect(slug('  Hello, World  ')).toBe('hello-world');
    expect(greeting('x')).toBe('hello x');
    const p: Point = { x: 1, y: 2 };
    expect(p.x + p.y).toBe(3);
  });
});
