import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { BrokerMessage } from '../../../lib/broker/broker.interface.js';
import { FRAME_OVERHEAD_BYTES, FrameCache } from '../../../lib/adapter/resume/frame-cache.js';
import { framePayload } from '../../../lib/adapter/text-frame.js';
import { entryBytes } from '../../../lib/broker/replay-window.js';

function message(n: number, payload = `{"text":"m${n}"}`): BrokerMessage {
  const id = `1700000000000-${n}`;
  return { shard: 3, id, offset: `3:e1:${id}`, topic: 'chat/rooms/7', payload };
}

/** What a client reads for `m`. */
function text(m: BrokerMessage): string {
  return `{"event":"message","data":{"topic":"chat/rooms/7","offset":"${m.offset}","payload":${m.payload}}}`;
}

describe('FrameCache', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('frames a message as the client reads it, and gives every later resume the same buffer', () => {
    const cache = new FrameCache(1024 * 1024);
    const m = message(1, '{"text":"héllo 👋"}');
    const frame = cache.frameOf(m);
    expect(framePayload(frame).toString('utf8')).toBe(text(m));
    expect(cache.frameOf(m)).toBe(frame);
    // The frame, and the message it keeps alive, counted as the window counts it.
    expect(cache.bytes).toBe(frame.length + FRAME_OVERHEAD_BYTES + entryBytes(m));
    cache.clear();
  });

  it('never holds more than its bound: the next frame that does not fit empties it first', () => {
    // A 2-byte header, then the text (ASCII: a byte per character).
    const cost = 2 + text(message(10)).length + FRAME_OVERHEAD_BYTES + entryBytes(message(10));
    const cache = new FrameCache(3 * cost);
    const first = [10, 11, 12].map((n) => cache.frameOf(message(n)));
    expect(cache.bytes).toBe(3 * cost);
    const fourth = message(13);
    cache.frameOf(fourth);
    expect(cache.bytes).toBe(cost);
    // Emptied: the first messages' frames are built again (equal bytes, another buffer).
    const again = cache.frameOf(message(10));
    expect(again).not.toBe(first[0]);
    expect(again.equals(first[0])).toBe(true);
    expect(cache.bytes).toBe(2 * cost);
    cache.clear();
    expect(cache.bytes).toBe(0);
  });

  it('keeps nothing when off (0) or for a frame bigger than the bound, and still frames it', () => {
    const off = new FrameCache(0);
    const m = message(1);
    expect(framePayload(off.frameOf(m)).toString()).toBe(text(m));
    expect(off.frameOf(m)).not.toBe(off.frameOf(m));
    expect(off.bytes).toBe(0);
    const small = new FrameCache(100);
    const big = message(2, `"${'x'.repeat(500)}"`);
    expect(framePayload(small.frameOf(big)).toString()).toBe(text(big));
    expect(small.bytes).toBe(0);
  });

  it('empties itself after 10 s to 20 s without use, and not while it is used', () => {
    jest.useFakeTimers();
    const cache = new FrameCache(1024 * 1024);
    const m = message(1);
    const frame = cache.frameOf(m);
    const held = cache.bytes;
    // Used within every 10 s: kept.
    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(9_000);
      expect(cache.frameOf(m)).toBe(frame);
    }
    jest.advanceTimersByTime(10_000);
    expect(cache.bytes).toBe(held);
    jest.advanceTimersByTime(10_000);
    expect(cache.bytes).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});
