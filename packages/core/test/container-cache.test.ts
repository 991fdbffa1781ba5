import { afterEach, describe, expect, it, vi } from 'vitest';
import { ContainerCache } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ContainerCache', () => {
  it('trusts a remembered container until its time runs out', () => {
    vi.useFakeTimers();
    const cache = new ContainerCache(1_000);
    expect(cache.has('shots')).toBe(false);
    cache.remember('shots');
    expect(cache.has('shots')).toBe(true);
    vi.advanceTimersByTime(1_001);
    expect(cache.has('shots')).toBe(false);
  });

  it('forgets a container with everything below it, not its siblings', () => {
    const cache = new ContainerCache();
    for (const id of ['shots', 'shots/sh010', 'shots/sh010/plate', 'shots2', 'assets']) cache.remember(id);
    cache.forget('shots');
    expect(
      ['shots', 'shots/sh010', 'shots/sh010/plate', 'shots2', 'assets'].map((id) => cache.has(id)),
    ).toEqual([false, false, false, true, true]);
    cache.forget('');
    expect(cache.has('assets')).toBe(false);
  });

  it('starts over instead of growing past its bound', () => {
    const cache = new ContainerCache(10_000, 3);
    for (const id of ['a', 'b', 'c']) cache.remember(id);
    cache.remember('d');
    expect(['a', 'b', 'c', 'd'].map((id) => cache.has(id))).toEqual([false, false, false, true]);
  });
});
