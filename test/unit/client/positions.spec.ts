import { describe, expect, it } from '@jest/globals';
import { ShardPositions } from '../../../lib/client/positions.js';

describe('ShardPositions', () => {
  it('accepts each newer offset once and refuses older or equal ones of the same epoch', () => {
    const positions = new ShardPositions();
    positions.replaceAll(['0:e1:10-0', '1:e1:5-3']);
    expect(positions.accept('0:e1:10-1')).toBe(true);
    expect(positions.accept('0:e1:10-1')).toBe(false);
    expect(positions.accept('0:e1:9-9')).toBe(false);
    expect(positions.accept('0:e1:100-0')).toBe(true);
    expect(positions.accept('0:e1:99-0')).toBe(false);
    expect(positions.accept('1:e1:5-3')).toBe(false);
    expect(positions.accept('1:e1:5-10')).toBe(true);
    expect(positions.toArray()).toEqual(['0:e1:100-0', '1:e1:5-10']);
  });

  it('restarts a shard on a new epoch, even with a smaller id', () => {
    const positions = new ShardPositions();
    positions.replaceAll(['0:e1:500-0']);
    expect(positions.accept('0:e2:1-0')).toBe(true);
    expect(positions.toArray()).toEqual(['0:e2:1-0']);
  });

  it('delivers a message with an unparseable offset without moving any position', () => {
    const positions = new ShardPositions();
    positions.replaceAll(['0:e1:5-0']);
    expect(positions.accept('garbage')).toBe(true);
    expect(positions.accept(undefined)).toBe(true);
    expect(positions.toArray()).toEqual(['0:e1:5-0']);
  });

  it('replaces every position and lists them by shard, skipping bad entries', () => {
    const positions = new ShardPositions();
    positions.replaceAll(['2:e:1-0', '0:e:3-0', 'nope', 42, '1:e:2-0']);
    expect(positions.toArray()).toEqual(['0:e:3-0', '1:e:2-0', '2:e:1-0']);
    positions.replaceAll(['5:f:0-0']);
    expect(positions.toArray()).toEqual(['5:f:0-0']);
  });
});
