import { describe, expect, it } from '@jest/globals';
import { entryTimeMs, ReaderLag } from '../../../lib/metrics/reader-lag.js';

const at = (id: string) => ({ topic: 't', payload: '1', shard: 0, id, offset: `0:e:${id}` });

describe('entryTimeMs', () => {
  it.each([
    ['1795839502998-0', 1795839502998],
    ['12-345', 12],
    ['0-1', 0],
  ])('reads the milliseconds of %s', (id, ms) => expect(entryTimeMs(id)).toBe(ms));

  it.each(['-3', '123', 'abc-1', '1a-2', ''])('is NaN for %j, not a stream id', (id) =>
    expect(entryTimeMs(id)).toBeNaN(),
  );
});

describe('ReaderLag', () => {
  it('keeps the lag of the first message of the latest batch, never negative', () => {
    const lag = new ReaderLag();
    expect(lag.lastMs).toBeNull();
    lag.observe([], 100);
    expect(lag.lastMs).toBeNull();
    lag.observe([at('1000-0'), at('1090-0')], 1100);
    expect([lag.lastMs, lag.lastBatchAt]).toEqual([100, 1100]);
    lag.observe([at('2000-0')], 1990);
    expect([lag.lastMs, lag.lastBatchAt]).toEqual([0, 1990]);
    // A custom broker's ids carry no time: the last known lag stays.
    lag.observe([at('custom')], 3000);
    expect([lag.lastMs, lag.lastBatchAt]).toEqual([0, 1990]);
  });
});
